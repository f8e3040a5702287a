package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/trawlhq/trawl/secret"
)

// useSecrets loads the key that encrypts stored secrets (TRAWL_SECRET_KEY,
// or the key file of the data folder, created on first start), hands it to
// the store, and seals whatever is still stored in the clear (values from
// before encryption). A value sealed under a key this node does not have
// stops the start with a message saying what to do.
func useSecrets(ctx context.Context, db database, f dbFlags, log *slog.Logger) error {
	box, created, err := secret.Load(f.DataDir, f.SecretKey)
	if err != nil {
		return fmt.Errorf("secret key: %w", err)
	}
	if created {
		log.Info("created the key that encrypts stored secrets; back it up with the database", "file", f.DataDir+"/"+secret.KeyFile)
		if f.DatabaseURL != "" {
			log.Warn("nodes sharing a PostgreSQL database must share one secret key: set TRAWL_SECRET_KEY on every node")
		}
	}
	db.UseSecrets(box)
	n, err := db.Reseal(ctx, box)
	if errors.Is(err, secret.ErrUnknownKey) {
		return fmt.Errorf("stored secrets are encrypted with another key than this node's (TRAWL_SECRET_KEY or %s/%s); "+
			"every node sharing a database needs the same key: %w", f.DataDir, secret.KeyFile, err)
	}
	if err != nil {
		return err
	}
	if n > 0 {
		log.Info("encrypted stored secrets", "values", n, "key", box.KeyID())
	}
	return nil
}

type secretsCmd struct {
	RotateKey rotateKeyCmd `cmd:"" name:"rotate-key" help:"Encrypt every stored secret with a new key. Stop every trawl node first."`
}

type rotateKeyCmd struct {
	dbFlags
	NewKey string `name:"new-key" env:"TRAWL_NEW_SECRET_KEY" help:"With TRAWL_SECRET_KEY: the key to move to (32+ characters). Without it, trawl writes a new key file itself."`
}

// Run re-encrypts every stored secret under a new key in one transaction.
// With a key file, the new key replaces it once the database is done; with
// TRAWL_SECRET_KEY, the operator sets the new key on every node afterwards.
func (c *rotateKeyCmd) Run(e *env) error {
	db, err := openDB(e.ctx, c.dbFlags, e.log)
	if err != nil {
		return err
	}
	defer db.Close()
	reseal := func(box *secret.Box) error {
		n, err := db.Reseal(e.ctx, box)
		if err == nil {
			fmt.Fprintf(e.stdout, "re-encrypted %d stored secrets with key %s\n", n, box.KeyID())
		}
		return err
	}
	if c.SecretKey != "" {
		if c.NewKey == "" {
			return errors.New("TRAWL_SECRET_KEY is set: give the key to move to with --new-key (TRAWL_NEW_SECRET_KEY)")
		}
		box, err := secret.NewBox(c.NewKey, c.SecretKey)
		if err != nil {
			return fmt.Errorf("--new-key (TRAWL_NEW_SECRET_KEY): %w", err)
		}
		if err := reseal(box); err != nil {
			return err
		}
		_, err = fmt.Fprintln(e.stdout, "now set TRAWL_SECRET_KEY to the new key on every node, then start them")
		return err
	}
	if c.NewKey != "" {
		return errors.New("--new-key (TRAWL_NEW_SECRET_KEY) is for keys set with TRAWL_SECRET_KEY; with a key file trawl makes the new key")
	}
	id, err := secret.RotateFile(c.DataDir, reseal)
	if err != nil {
		return fmt.Errorf("rotate the secret key: %w", err)
	}
	_, err = fmt.Fprintf(e.stdout, "the key file %s/%s now holds key %s; start trawl as usual\n", c.DataDir, secret.KeyFile, id)
	return err
}
