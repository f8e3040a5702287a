package browser

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// isHTML reports whether a document's MIME type is one Chromium builds a DOM
// of that the page author wrote.
func isHTML(mime string) bool {
	switch strings.ToLower(mime) {
	case "text/html", "application/xhtml+xml", "":
		return true
	}
	return false
}

// rawBody returns the body of the main document at rawURL as served.
func rawBody(ctx context.Context, docs *docIndex, rawURL string) (string, error) {
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	id, ok := docs.wait(wctx, rawURL)
	if !ok {
		return "", fmt.Errorf("read the document body: no response seen for %s", rawURL)
	}
	// The body is a JSON string, base64 only when base64Encoded says so, so
	// it is decoded here rather than as cdproto's []byte.
	var res struct {
		Body          string `json:"body"`
		Base64Encoded bool   `json:"base64Encoded"`
	}
	t := chromedp.FromContext(ctx).Target
	if err := t.Call(ctx, network.CommandGetResponseBody, network.GetResponseBodyParams{RequestID: id}, &res); err != nil {
		return "", fmt.Errorf("read the document body: %w", err)
	}
	if !res.Base64Encoded {
		return res.Body, nil
	}
	b, err := base64.StdEncoding.DecodeString(res.Body)
	if err != nil {
		return "", fmt.Errorf("read the document body: %w", err)
	}
	return string(b), nil
}

// docIndex maps the main frame's document URLs to their request ids as
// responses arrive. It is safe for concurrent use.
type docIndex struct {
	mu      sync.Mutex
	ids     map[string]network.RequestID
	changed chan struct{} // closed and replaced at each add
}

func (d *docIndex) add(rawURL string, id network.RequestID) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.ids[rawURL] = id
	close(d.changed)
	d.changed = make(chan struct{})
}

// wait returns the request id of rawURL, waiting for its response until ctx
// ends.
func (d *docIndex) wait(ctx context.Context, rawURL string) (network.RequestID, bool) {
	for {
		d.mu.Lock()
		id, ok := d.ids[rawURL]
		changed := d.changed
		d.mu.Unlock()
		if ok {
			return id, true
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return "", false
		}
	}
}
