package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// cutProxy passes TCP connections to a target until it is cut: then it
// closes those open and refuses new ones until it is restored, as a laptop
// losing its network would.
type cutProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  []net.Conn
	wg     sync.WaitGroup
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: target}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.cut()
		p.wg.Wait()
	})
	return p
}

func (p *cutProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.down {
			p.mu.Unlock()
			c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.conns = append(p.conns, c, up)
		p.wg.Add(2)
		p.mu.Unlock()
		go func() { defer p.wg.Done(); _, _ = io.Copy(up, c); up.Close() }()
		go func() { defer p.wg.Done(); _, _ = io.Copy(c, up); c.Close() }()
	}
}

// cut drops every connection and refuses new ones.
func (p *cutProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *cutProxy) restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = false
}

// release lets n held pages of a gated site through, one at a time.
func (s *site) release(n int) {
	s.mu.Lock()
	gate := s.gate
	s.mu.Unlock()
	for range n {
		gate <- struct{}{}
	}
}

// exportToken matches the signed part of an export link, minted afresh
// (with its own expiry) each time a finished event's body is built.
var exportToken = regexp.MustCompile(`/exports/[A-Za-z0-9_-]+`)

// TestClientListenForwardsEveryEvent runs `trawl listen` through a proxy
// and cuts the connection mid-job: every event of the job reaches the local
// receiver exactly once, with the body and webhook-id of the real delivery
// and a signature the Standard Webhooks library verifies with the secret
// `trawl listen --print-secret` shows.
func TestClientListenForwardsEveryEvent(t *testing.T) {
	t.Parallel()
	b := setupClient(t)
	secretOut, stderr, code := b.trawl(t, "", "listen", "--print-secret")
	if code != 0 {
		t.Fatalf("listen --print-secret: exit %d: %s", code, stderr)
	}
	wh, err := standardwebhooks.NewWebhook(strings.TrimSpace(secretOut))
	if err != nil {
		t.Fatalf("the printed secret %q: %v", secretOut, err)
	}

	local, real := &receiver{}, &receiver{}
	localSrv, realSrv := httptest.NewServer(local), httptest.NewServer(real)
	t.Cleanup(localSrv.Close)
	t.Cleanup(realSrv.Close)
	proxy := newCutProxy(t, strings.TrimPrefix(b.srv.base, "http://"))
	web := newSite(t, 30, true)
	t.Cleanup(web.open)

	cmd := b.command(t, "http://"+proxy.ln.Addr().String(), "listen", "--forward-to", localSrv.URL+"/hooks")
	var stdout, lerr syncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &lerr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	waitFor(t, 30*time.Second, "listen to be ready", func() bool { return strings.Contains(lerr.String(), "Ready") })

	var created jobRecord
	body := fmt.Sprintf(`{"urls":[%q],"webhook":{"url":%q,"events":["scraper.job.started","scraper.data.scraped","scraper.data.rows_added","scraper.job.finished"]}}`,
		web.URL, realSrv.URL)
	if code := b.in.do("POST", "/scrapers/crawler/jobs", body, &created); code != 200 {
		t.Fatalf("create: %d", code)
	}
	id := created.ID
	web.release(5)
	waitFor(t, 30*time.Second, "data events forwarded before the cut", func() bool {
		return len(local.forJob(id)["scraper.data.scraped"]) >= 1
	})

	proxy.cut()
	before := len(real.forJob(id)["scraper.data.scraped"])
	web.release(10)
	waitFor(t, 30*time.Second, "events made while listen is cut off", func() bool {
		return len(real.forJob(id)["scraper.data.scraped"]) > before
	})
	proxy.restore()
	web.open()
	if rec := b.in.waitTerminal(id, 60*time.Second); rec.Status != "finished" {
		t.Fatalf("job ended %q", rec.Status)
	}
	waitFor(t, 30*time.Second, "the finished event forwarded", func() bool {
		return len(local.forJob(id)["scraper.job.finished"]) == 1 && len(real.forJob(id)["scraper.job.finished"]) == 1
	})

	// Every real delivery, forwarded once, byte for byte, verifiable.
	want := map[string]string{}
	for _, d := range real.all() {
		want[d.Header.Get("webhook-id")] = string(d.Raw)
	}
	got := map[string]string{}
	for _, d := range local.all() {
		msgID := d.Header.Get("webhook-id")
		if _, dup := got[msgID]; dup {
			t.Errorf("event %s forwarded twice", msgID)
		}
		got[msgID] = string(d.Raw)
		if err := wh.Verify(d.Raw, d.Header); err != nil {
			t.Errorf("event %s: signature does not verify: %v", msgID, err)
		}
		if d.Header.Get("Content-Type") != "application/json" {
			t.Errorf("event %s: Content-Type %q", msgID, d.Header.Get("Content-Type"))
		}
	}
	for msgID, body := range want {
		if g, ok := got[msgID]; !ok {
			t.Errorf("event %s (%s) never forwarded", msgID, body[:min(len(body), 60)])
		} else if exportToken.ReplaceAllString(g, "TOKEN") != exportToken.ReplaceAllString(body, "TOKEN") {
			t.Errorf("event %s forwarded as\n%s\nwant\n%s", msgID, g, body)
		}
	}
	if len(got) != len(want) {
		t.Errorf("forwarded %d events, the real webhook got %d", len(got), len(want))
	}
	if !strings.Contains(lerr.String(), "reconnected") {
		t.Errorf("listen did not say it reconnected:\n%s", lerr.String())
	}
	// A line is printed once the receiver has answered.
	waitFor(t, 10*time.Second, "a line per event", func() bool { return strings.Count(stdout.String(), "--> [200]") >= len(got) })
	if n := strings.Count(stdout.String(), "--> [200]"); n != len(got) {
		t.Errorf("listen printed %d lines for %d events:\n%s", n, len(got), stdout.String())
	}

	// Ctrl-C ends listen cleanly.
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("listen after SIGINT: %v\n%s", err, lerr.String())
		}
	case <-time.After(30 * time.Second):
		t.Errorf("listen did not exit after SIGINT")
	}
	exited <- nil
}

// TestClientListenJobWithoutWebhook: a job with no webhook of its own still
// has its events on the stream, rows included, and listen forwards them
// signed; nothing is delivered anywhere else.
func TestClientListenJobWithoutWebhook(t *testing.T) {
	t.Parallel()
	b := setupClient(t)
	secretOut, _, _ := b.trawl(t, "", "listen", "--print-secret")
	wh, err := standardwebhooks.NewWebhook(strings.TrimSpace(secretOut))
	if err != nil {
		t.Fatal(err)
	}
	local := &receiver{}
	localSrv := httptest.NewServer(local)
	t.Cleanup(localSrv.Close)
	web := newSite(t, 0, false)

	cmd := b.command(t, "", "listen", "--forward-to", localSrv.URL)
	var stdout, lerr syncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &lerr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	waitFor(t, 30*time.Second, "listen to be ready", func() bool { return strings.Contains(lerr.String(), "Ready") })

	var created jobRecord
	if code := b.in.do("POST", "/scrapers/crawler/jobs", fmt.Sprintf(`{"urls":[%q]}`, web.URL), &created); code != 200 {
		t.Fatalf("create: %d", code)
	}
	id := created.ID
	b.in.waitTerminal(id, 60*time.Second)
	waitFor(t, 30*time.Second, "the finished event forwarded", func() bool {
		return len(local.forJob(id)["scraper.job.finished"]) == 1
	})
	events := local.forJob(id)
	if len(events["scraper.job.started"]) != 1 {
		t.Errorf("%d started events, want 1", len(events["scraper.job.started"]))
	}
	var rows []map[string]any
	for _, d := range events["scraper.data.scraped"] {
		for _, r := range d.Body["data"].([]any) {
			rows = append(rows, r.(map[string]any))
		}
	}
	if diff := cmp.Diff(b.in.allRows(id), rows); diff != "" {
		t.Errorf("rows in the forwarded data events (-want +got):\n%s", diff)
	}
	for _, d := range local.all() {
		if err := wh.Verify(d.Raw, d.Header); err != nil {
			t.Errorf("event %s: signature does not verify: %v", d.Header.Get("webhook-id"), err)
		}
		if _, ok := d.Body["trawlRowRange"]; ok {
			t.Errorf("the row range leaked into the body: %s", d.Raw)
		}
	}
	var log struct {
		Data []json.RawMessage `json:"data"`
	}
	if code := b.in.do("GET", fmt.Sprintf("/scrapers/jobs/%d/webhook-deliveries", id), nil, &log); code != 200 || len(log.Data) != 0 {
		t.Errorf("delivery log of a job without a webhook: status %d, %d attempts", code, len(log.Data))
	}
}
