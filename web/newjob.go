package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/scrape"
)

type newJobPage struct {
	Scrapers []scrape.Info
	Scraper  scrape.Info
	Fields   []*field
	Webhook  webhookForm
	Curl     string
	Message  string   // the API's message when it refused the job
	Errors   []string // field errors that belong to no field of the form
}

func (w *Console) newJobPage(rw http.ResponseWriter, r *http.Request, s *session) {
	p, ok := w.newJobForm(r.URL.Query().Get("scraper"))
	if !ok {
		w.notFound(rw, r, s)
		return
	}
	w.render(rw, r, http.StatusOK, "new", viewFor(s, "New job", "new"), p)
}

// newJobForm is the empty form of scraper slug ("" = the first one).
func (w *Console) newJobForm(slug string) (newJobPage, bool) {
	p := newJobPage{Scrapers: w.c.Scrapers, Webhook: newWebhookForm()}
	if len(w.c.Scrapers) == 0 {
		return p, true
	}
	if slug == "" {
		slug = w.c.Scrapers[0].Slug
	}
	info, ok := w.scraper(slug)
	if !ok {
		return p, false
	}
	p.Scraper, p.Fields = info, fieldsOf(info)
	return p, true
}

// createJob reads the form into a create body and hands it to the jobs
// service, as POST /scrapers/{slug}/jobs does. "Show curl" renders the
// command without creating anything.
func (w *Console) createJob(rw http.ResponseWriter, r *http.Request, s *session) {
	p, ok := w.newJobForm(r.PostFormValue("scraper"))
	if !ok || p.Scraper.Slug == "" {
		w.notFound(rw, r, s)
		return
	}
	body, wh := readForm(r, p.Fields)
	p.Webhook = wh
	raw, err := json.Marshal(body)
	if err != nil {
		w.internal(rw, r, err)
		return
	}
	p.Curl = curlCommand(w.c.PublicURL, p.Scraper.Slug, raw)
	v := viewFor(s, "New job", "new")
	if r.PostFormValue("action") == "curl" {
		w.render(rw, r, http.StatusOK, "new", v, p)
		return
	}
	job, err := w.c.Jobs.Create(r.Context(), s.account.ID, p.Scraper.Slug, raw)
	if err != nil {
		var te *trawl.Error
		if !errors.As(err, &te) || te.Code == trawl.EINTERNAL {
			w.internal(rw, r, err)
			return
		}
		p.Message = te.Message
		p.Errors = placeErrors(p.Fields, &p.Webhook, te.Fields)
		w.render(rw, r, http.StatusUnprocessableEntity, "new", v, p)
		return
	}
	http.Redirect(rw, r, fmt.Sprintf("/console/jobs/%d", job.ID), http.StatusSeeOther)
}
