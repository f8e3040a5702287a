package storetest

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/trawlhq/trawl"
)

// ScreenshotStore is the screenshot storage both SQL backends have beside
// store.Store.
type ScreenshotStore interface {
	PutScreenshot(ctx context.Context, contentType string, data []byte, at time.Time) (int64, error)
	Screenshot(ctx context.Context, id int64) (contentType string, data []byte, err error)
	DeleteScreenshotsBefore(ctx context.Context, t time.Time) (int64, error)
}

// RunScreenshots checks that images come back byte for byte, that unknown
// ids are ENOTFOUND, and that pruning deletes only older images.
func RunScreenshots(t *testing.T, s ScreenshotStore) {
	t.Helper()
	ctx := t.Context()
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	img := []byte("\x89PNG\r\n\x1a\n\x00binary\xff")
	old, err := s.PutScreenshot(ctx, "image/png", img, t0)
	if err != nil {
		t.Fatal(err)
	}
	recent, err := s.PutScreenshot(ctx, "image/jpeg", []byte{0xff, 0xd8, 0xff}, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	ct, data, err := s.Screenshot(ctx, old)
	if err != nil || ct != "image/png" || !bytes.Equal(data, img) {
		t.Fatalf("read screenshot %d: got %q, %q, %v; want the stored PNG", old, ct, data, err)
	}
	if _, _, err := s.Screenshot(ctx, recent+1000); trawl.ErrorCode(err) != trawl.ENOTFOUND {
		t.Fatalf("read an unknown screenshot: got %v, want ENOTFOUND", err)
	}
	n, err := s.DeleteScreenshotsBefore(ctx, t0.Add(time.Minute))
	if err != nil || n != 1 {
		t.Fatalf("prune: got %d, %v; want 1 deleted", n, err)
	}
	if _, _, err := s.Screenshot(ctx, old); trawl.ErrorCode(err) != trawl.ENOTFOUND {
		t.Fatalf("read a pruned screenshot: got %v, want ENOTFOUND", err)
	}
	if _, _, err := s.Screenshot(ctx, recent); err != nil {
		t.Fatalf("read the recent screenshot: %v", err)
	}
}
