package main

import (
	"log/slog"
	"net/http"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/export"
	"github.com/trawlhq/trawl/httpapi"
	"github.com/trawlhq/trawl/jobs"
	"github.com/trawlhq/trawl/scrape"
	"github.com/trawlhq/trawl/web"
)

// newConsole builds the web console over the same services as the API. Its
// session cookies are keyed from the export secret, which every node
// shares (the console derives a key of its own from it).
func newConsole(db database, svc *jobs.Service, scrapers *scrape.Registry, signer *export.Signer, publicURL string,
	secret []byte, log *slog.Logger) *web.Console {
	links := dataLinks(signer)
	return web.New(web.Config{
		Jobs:          svc,
		Webhooks:      webhookAPI{db, svc},
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
		JobJSON:     func(j *trawl.Job) ([]byte, error) { return httpapi.JobJSON(j, links) },
		AttemptJSON: httpapi.AttemptJSON,
		Logger:      log.With("component", "console"),
	})
}

// mountConsole serves the console's pages beside the API: / (a redirect to
// the console) and /console/….
func mountConsole(root *http.ServeMux, c *web.Console) {
	root.Handle("GET /{$}", c)
	root.Handle("/console/", c)
}
