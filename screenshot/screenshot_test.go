package screenshot

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trawlhq/trawl"
)

// memStore is a Store in memory.
type memStore struct {
	mu   sync.Mutex
	next int64
	imgs map[int64]memImage
}

type memImage struct {
	ct   string
	data []byte
	at   time.Time
}

func (m *memStore) PutScreenshot(_ context.Context, ct string, data []byte, at time.Time) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.next++
	m.imgs[m.next] = memImage{ct, data, at}
	return m.next, nil
}

func (m *memStore) Screenshot(_ context.Context, id int64) (string, []byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	img, ok := m.imgs[id]
	if !ok {
		return "", nil, trawl.Errorf(trawl.ENOTFOUND, "no")
	}
	return img.ct, img.data, nil
}

func (m *memStore) DeleteScreenshotsBefore(_ context.Context, t time.Time) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var n int64
	for id, img := range m.imgs {
		if img.at.Before(t) {
			delete(m.imgs, id)
			n++
		}
	}
	return n, nil
}

func TestLinks(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	store := &memStore{imgs: map[int64]memImage{}}
	svc, err := New(Config{Store: store, Secret: bytes.Repeat([]byte("k"), 32), BaseURL: "https://trawl.example/", TTL: time.Hour, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	png := []byte("\x89PNG\r\n\x1a\nrest")
	link, err := svc.SaveScreenshot(t.Context(), png)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(link, "https://trawl.example/screenshots/") || !strings.HasSuffix(link, ".png") {
		t.Fatalf("got link %q, want https://trawl.example/screenshots/<token>.png", link)
	}
	get := func(path string) (int, string, []byte) {
		rec := httptest.NewRecorder()
		svc.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		b, _ := io.ReadAll(rec.Body)
		return rec.Code, rec.Header().Get("Content-Type"), b
	}
	path := strings.TrimPrefix(link, "https://trawl.example")
	if code, ct, body := get(path); code != 200 || ct != "image/png" || !bytes.Equal(body, png) {
		t.Errorf("GET the link: got %d %q %q, want 200 and the PNG", code, ct, body)
	}
	token := strings.TrimSuffix(strings.TrimPrefix(path, "/screenshots/"), ".png")
	for _, bad := range []string{
		"/screenshots/" + token + ".jpeg",                             // another extension
		"/screenshots/" + token[:len(token)-2] + "AA.png",             // forged MAC
		"/screenshots/" + svc.sign(1, now.Add(-time.Second)) + ".png", // expired
		"/screenshots/" + svc.sign(99, now.Add(time.Hour)) + ".png",   // unknown image
		"/screenshots/nonsense",                                       // no extension
		"/screenshots/" + token + ".png/x",                            // trailing path
	} {
		if code, _, _ := get(bad); code != http.StatusNotFound {
			t.Errorf("GET %s: got %d, want 404", bad, code)
		}
	}
	if _, err := svc.SaveScreenshot(t.Context(), []byte("GIF89a")); err == nil {
		t.Error("saving a GIF: got nil error, want a refusal")
	}

	// Two hours on, the next save prunes the first image.
	now = now.Add(2 * time.Hour)
	if _, err := svc.SaveScreenshot(t.Context(), []byte{0xff, 0xd8, 0xff, 0}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := store.Screenshot(t.Context(), 1); trawl.ErrorCode(err) != trawl.ENOTFOUND {
		t.Errorf("the expired image: got %v, want it pruned", err)
	}
}
