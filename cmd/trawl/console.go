package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/export"
	"github.com/trawlhq/trawl/httpapi"
	"github.com/trawlhq/trawl/jobs"
	"github.com/trawlhq/trawl/scrape"
	"github.com/trawlhq/trawl/web"
	"github.com/trawlhq/trawl/webhook"
)

// newConsole builds the web console over the same services as the API. Its
// session cookies are keyed from the export secret, which every node
// shares (the console derives a key of its own from it).
func newConsole(db database, hooks web.Webhooks, svc *jobs.Service, scrapers *scrape.Registry, signer *export.Signer, publicURL string,
	secret []byte, jobJSON func(*trawl.Job) ([]byte, error), log *slog.Logger) *web.Console {
	return web.New(web.Config{
		Jobs:          svc,
		Webhooks:      hooks,
		Accounts:      db,
		Store:         db,
		Changes:       db,
		Scrapers:      infos(scrapers),
		PublicURL:     publicURL,
		SessionSecret: secret,
		Links: func(jobID int64) web.DataLinks {
			l := signer.Links(jobID)
			return web.DataLinks{JSON: l.JSON, CSV: l.CSV, XLSX: l.XLSX}
		},
		JobJSON:     jobJSON,
		WebhookBody: func(ctx context.Context, e *trawl.Event) ([]byte, error) { return webhookBody(ctx, db, signer, e) },
		AttemptJSON: httpapi.AttemptJSON,
		Logger:      log.With("component", "console"),
	})
}

// front sends each request to its part of trawl without cleaning its path
// first (a ServeMux would redirect a path with ".." or "//" before the API
// could refuse it): the console at / and /console/, screenshots (nil: none)
// at /screenshots/, and the API everywhere else.
func front(console, screenshots, api http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		read := r.Method == http.MethodGet || r.Method == http.MethodHead
		switch {
		case p == "/" && read, strings.HasPrefix(p, "/console/"):
			console.ServeHTTP(w, r)
		case screenshots != nil && read && strings.HasPrefix(p, "/screenshots/"):
			screenshots.ServeHTTP(w, r)
		default:
			api.ServeHTTP(w, r)
		}
	})
}

// webhookBody is the body a delivery of e carries now: the stored payload,
// with the finished event's download links signed afresh, as the delivery
// worker adds them at each attempt.
func webhookBody(ctx context.Context, db database, signer *export.Signer, e *trawl.Event) ([]byte, error) {
	if e.State == trawl.EventNone && e.Type == trawl.EventDataScraped {
		return webhook.ExpandBody(ctx, e, func(ctx context.Context, jobID, after, through int64) ([]json.RawMessage, error) {
			rows, _, err := db.Rows(ctx, jobID, after, through-after)
			out := make([]json.RawMessage, 0, len(rows))
			for _, r := range rows {
				if r.Seq > after && r.Seq <= through {
					out = append(out, r.Data)
				}
			}
			return out, err
		})
	}
	if e.Type != trawl.EventJobFinished {
		return e.Payload, nil
	}
	job, err := db.Job(ctx, 0, e.JobID)
	if err != nil {
		return nil, err
	}
	if !job.Status.Terminal() {
		return e.Payload, nil
	}
	var p webhook.Payload
	if err := json.Unmarshal(e.Payload, &p); err != nil {
		return nil, fmt.Errorf("read payload of event %s: %w", e.ID, err)
	}
	p.Data = signer.Links(job.ID)
	if p.StopReason == nil { // a JSON null decodes to nil; the finished event keeps it
		null := json.RawMessage("null")
		p.StopReason = &null
	}
	return json.Marshal(p)
}
