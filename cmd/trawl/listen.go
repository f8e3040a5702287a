package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/client"
	"github.com/trawlhq/trawl/webhook"
)

// listenCmd forwards the account's webhook events to a local URL.
type listenCmd struct {
	clientFlags
	ForwardTo   string        `name:"forward-to" placeholder:"URL" help:"The local receiver each event is POSTed to (required unless --print-secret)."`
	Events      []string      `name:"events" sep:"," placeholder:"TYPE,…" help:"Only these event types (scraper.job.started, scraper.data.scraped, scraper.data.rows_added, scraper.job.finished); default: all."`
	Job         int64         `name:"job" placeholder:"ID" help:"Only the events of this job."`
	PrintSecret bool          `name:"print-secret" help:"Print the account's signing secret (to configure the local receiver with) and exit."`
	Timeout     time.Duration `name:"timeout" default:"15s" help:"How long the local receiver has to answer each event."`
}

func (listenCmd) Help() string {
	return `Follows the server's event stream (GET /events) and POSTs each webhook event of the account to --forward-to exactly as a real delivery looks: the same body, webhook-id, a fresh webhook-timestamp and a webhook-signature made with the account's signing secret, so the receiver's Standard Webhooks verification runs unchanged. One line is printed per event: time, event type, job, the receiver's status and how long it took. A dropped connection is made again on its own and resumes where it left off: no event is missed, none is forwarded twice.

Events are forwarded whether or not the job has a webhook URL: a job without one has its events stored for the stream only (its rows batched as for a webhook, though a last partial batch waits for more rows or the job's end); a job with one shows the events its webhook subscribes to.

Example:
  trawl listen --forward-to http://localhost:3000/hooks
  trawl listen --forward-to http://localhost:3000/hooks --events scraper.job.finished --job 42
  trawl listen --print-secret`
}

func (c *listenCmd) Run(e *env) error {
	if !c.PrintSecret && c.ForwardTo == "" {
		return errors.New("missing --forward-to URL (or --print-secret)")
	}
	var target *url.URL
	if c.ForwardTo != "" {
		u, err := url.Parse(c.ForwardTo)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("--forward-to %q: must be an absolute http or https URL", c.ForwardTo)
		}
		target = u
	}
	for _, ev := range c.Events {
		if !slices.Contains(trawl.Events(), ev) {
			return fmt.Errorf("--events: unknown event %q; allowed: %s", ev, strings.Join(trawl.Events(), ", "))
		}
	}
	cl, err := c.client()
	if err != nil {
		return err
	}
	acct, err := cl.Account(e.ctx)
	if err != nil {
		return fmt.Errorf("read the signing secret: %w", err)
	}
	if c.PrintSecret {
		_, err := fmt.Fprintln(e.stdout, acct.WebhookSecret)
		return err
	}
	f := &forwarder{
		e:      e,
		cl:     cl,
		target: target.String(),
		secret: acct.WebhookSecret,
		events: c.Events,
		jobID:  c.Job,
		http: &http.Client{
			Timeout: c.Timeout,
			// A receiver's redirect is its answer, as for real deliveries.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			Transport: &http.Transport{
				DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			},
		},
		seen: map[string]bool{},
	}
	return f.run(e.ctx)
}

// forwarder is one listen session.
type forwarder struct {
	e      *env
	cl     *client.Client
	target string
	secret string
	events []string
	jobID  int64
	http   *http.Client
	// seen holds the webhook-ids forwarded in this session: the stream may,
	// rarely, send one twice (and does across a reconnection's window).
	seen map[string]bool
}

// run follows the stream until ctx is done, reconnecting after drops.
func (f *forwarder) run(ctx context.Context) error {
	last := ""
	backoff := 250 * time.Millisecond
	connected := false
	for {
		s, err := f.cl.Events(ctx, client.EventsOptions{JobID: f.jobID, Kinds: []string{client.KindWebhook}, LastEventID: last})
		if err == nil {
			if !connected {
				scope := "the account's events"
				if f.jobID != 0 {
					scope = fmt.Sprintf("the events of job %d", f.jobID)
				}
				fmt.Fprintf(f.e.stderr, "Ready: forwarding %s from %s to %s ('trawl listen --print-secret' shows the signing secret). Ctrl-C quits.\n",
					scope, f.cl.BaseURL(), f.target)
			} else {
				fmt.Fprintf(f.e.stderr, "%s  reconnected, resuming\n", stamp(time.Now()))
			}
			connected = true
			backoff = 250 * time.Millisecond
			err = f.follow(ctx, s)
			last = s.LastEventID()
			s.Close()
		}
		if ctx.Err() != nil {
			return nil
		}
		if st := client.StatusOf(err); st >= 400 && st < 500 && st != http.StatusTooManyRequests {
			return err // a wrong key or parameter does not get better by trying again
		}
		if err == nil {
			err = io.EOF
		}
		fmt.Fprintf(f.e.stderr, "%s  connection lost (%v); reconnecting in %s\n", stamp(time.Now()), err, backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 10*time.Second)
	}
}

// follow forwards the messages of one connection until it ends.
func (f *forwarder) follow(ctx context.Context, s *client.Stream) error {
	for {
		m, err := s.Next()
		if err != nil {
			return err
		}
		if m.Event != client.KindWebhook {
			continue
		}
		var wm client.WebhookMessage
		if err := json.Unmarshal(m.Data, &wm); err != nil {
			fmt.Fprintf(f.e.stderr, "%s  skipped a message that is not a webhook event: %v\n", stamp(time.Now()), err)
			continue
		}
		if f.seen[wm.ID] || (len(f.events) > 0 && !slices.Contains(f.events, wm.Type)) {
			continue
		}
		f.seen[wm.ID] = true
		f.forward(ctx, wm)
	}
}

// forward POSTs one event to the target as a delivery and prints its line.
func (f *forwarder) forward(ctx context.Context, wm client.WebhookMessage) {
	start := time.Now()
	status, err := f.post(ctx, wm, start)
	took := time.Since(start)
	result := fmt.Sprintf("[%d]", status)
	if err != nil {
		result = "[error] " + err.Error()
	}
	fmt.Fprintf(f.e.stdout, "%s  %-24s job %-6d --> %s %dms  %s\n", stamp(start), wm.Type, wm.JobID, result, took.Milliseconds(), wm.ID)
}

func (f *forwarder) post(ctx context.Context, wm client.WebhookMessage, now time.Time) (int, error) {
	body := []byte(wm.Body)
	sig, err := webhook.Sign(f.secret, wm.ID, now, body)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.target, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "trawl/"+version)
	req.Header.Set("webhook-id", wm.ID)
	req.Header.Set("webhook-timestamp", fmt.Sprint(now.Unix()))
	req.Header.Set("webhook-signature", sig)
	resp, err := f.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, nil
}

// stamp is the time at the start of a printed line.
func stamp(t time.Time) string { return t.Local().Format("2006-01-02 15:04:05") }
