package crawler

import (
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"
)

func FuzzHang(f *testing.F) {
	for _, name := range []string{"typical.html", "latin1-meta.html", "shift_jis.html"} {
		f.Add(readTestdata(f, name), "text/html")
	}
	f.Add([]byte(""), "")
	base, _ := url.Parse("https://example.com/dir/page.html")
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		done := make(chan struct{})
		go func() {
			ParsePage(body, contentType, base, allFormats)
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(3 * time.Second):
			os.WriteFile(fmt.Sprintf("/tmp/hang-%d.bin", time.Now().UnixNano()), append([]byte(contentType+"\n"), body...), 0o644)
			panic("hang")
		}
	})
}
