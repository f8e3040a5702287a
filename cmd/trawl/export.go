package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/export"
	"github.com/trawlhq/trawl/httpapi"
)

// exportKeySetting names the setting that holds the secret signing export
// links: 32 random bytes, standard base64.
const exportKeySetting = "export_link_key"

// exportSecret returns the secret that signs export links, creating it on
// the first start. It lives in the database, so links survive restarts and
// every node sharing the database signs alike.
func exportSecret(ctx context.Context, db interface {
	EnsureSetting(ctx context.Context, name, value string) (string, error)
}) ([]byte, error) {
	fresh := make([]byte, 32)
	_, _ = rand.Read(fresh) // never fails (crypto/rand crashes the program instead)
	stored, err := db.EnsureSetting(ctx, exportKeySetting, base64.StdEncoding.EncodeToString(fresh))
	if err != nil {
		return nil, fmt.Errorf("export link secret: %w", err)
	}
	key, err := base64.StdEncoding.DecodeString(stored)
	if err != nil || len(key) < export.MinSecretBytes {
		return nil, fmt.Errorf("export link secret: setting %s is not %d or more bytes of base64", exportKeySetting, export.MinSecretBytes)
	}
	return key, nil
}

// dataLinks gives a terminal job's record its signed download links.
func dataLinks(s *export.Signer) func(*trawl.Job) *httpapi.DataLinks {
	return func(j *trawl.Job) *httpapi.DataLinks {
		if !j.Status.Terminal() {
			return nil
		}
		l := httpapi.DataLinks(s.Links(j.ID))
		return &l
	}
}
