package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/store"
)

const (
	jobsPerPage       = 20
	rowsPerPage       = 25
	attemptsPerPage   = 50
	cellPreviewLength = 80
)

type jobsPage struct {
	Jobs     []*trawl.Job
	Status   string
	Scraper  string
	Statuses []trawl.Status
	Scrapers []string
	Pager    pager
	Filtered bool
}

func (w *Console) jobsPage(rw http.ResponseWriter, r *http.Request, s *session) {
	from := pageCursor(w.c.Now())
	q := r.URL.Query()
	status, slug := q.Get("status"), q.Get("scraper")
	if status != "" && !trawl.Status(status).Valid() {
		status = ""
	}
	if _, ok := w.scraper(slug); !ok {
		slug = ""
	}
	page := pageParam(r, "page")
	jobs, total, err := w.c.Store.Jobs(r.Context(), store.JobFilter{
		AccountID: s.account.ID, Status: trawl.Status(status), Scraper: slug,
		Offset: (page - 1) * jobsPerPage, Limit: jobsPerPage,
	})
	if err != nil {
		w.internal(rw, r, err)
		return
	}
	p := jobsPage{Jobs: jobs, Status: status, Scraper: slug, Statuses: trawl.Statuses(), Filtered: status != "" || slug != ""}
	for _, sc := range w.c.Scrapers {
		p.Scrapers = append(p.Scrapers, sc.Slug)
	}
	p.Pager = newPager(page, jobsPerPage, total, func(n int64) string {
		v := url.Values{"page": {strconv.FormatInt(n, 10)}}
		if status != "" {
			v.Set("status", status)
		}
		if slug != "" {
			v.Set("scraper", slug)
		}
		return "/console/?" + v.Encode()
	})
	v := viewFor(s, "Jobs", "jobs")
	v.Live, v.LiveFrom = "kinds=job", from.String()
	w.render(rw, r, http.StatusOK, "jobs", v, p)
}

type jobPage struct {
	Job         *trawl.Job
	Input       string
	Columns     []string
	Rows        []rowView
	RowPager    pager
	Attempts    []attemptView
	AttemptPage pager
	HasFailed   bool
	Links       *DataLinks
	Webhook     *trawl.Webhook
}

type rowView struct {
	Seq   int64
	Cells []cell
}

type cell struct {
	Text string
	Long bool
}

type attemptView struct {
	*trawl.DeliveryAttempt
	// Latest is set on the newest listed attempt of its event, which shows
	// the event's state now.
	Latest bool
	// Redeliver is set on the newest listed attempt of an event that is no
	// longer pending.
	Redeliver bool
}

// pageCursor is where the stream of a page rendered at now starts: a
// little before now, so that a change committed while the page was read
// but stamped earlier is still sent. Sending a change the page already
// shows again is harmless: the script applies the same state.
func pageCursor(now time.Time) cursor { return cursorAt(now.Add(-2 * time.Second)) }

// jobID reads {id}; an id that is not a positive integer names no job.
func jobID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

// job reads the session's job {id}, answering 404 itself when there is
// none (or it is another account's).
func (w *Console) job(rw http.ResponseWriter, r *http.Request, s *session) (*trawl.Job, bool) {
	id, ok := jobID(r)
	if !ok {
		w.notFound(rw, r, s)
		return nil, false
	}
	job, err := w.c.Store.Job(r.Context(), s.account.ID, id)
	if trawl.ErrorCode(err) == trawl.ENOTFOUND {
		w.notFound(rw, r, s)
		return nil, false
	} else if err != nil {
		w.internal(rw, r, err)
		return nil, false
	}
	return job, true
}

func (w *Console) jobPage(rw http.ResponseWriter, r *http.Request, s *session) {
	from := pageCursor(w.c.Now())
	job, ok := w.job(rw, r, s)
	if !ok {
		return
	}
	ctx := r.Context()
	p := jobPage{Job: job, Webhook: job.Webhook}
	var pretty bytes.Buffer
	if json.Indent(&pretty, job.Input, "", "  ") == nil {
		p.Input = pretty.String()
	} else {
		p.Input = string(job.Input)
	}
	if sc, ok := w.scraper(job.Scraper); ok {
		p.Columns = sc.Columns
	}
	if w.c.Links != nil {
		links := w.c.Links(job.ID)
		p.Links = &links
	}
	base := "/console/jobs/" + strconv.FormatInt(job.ID, 10)
	rowPage, attemptPage := pageParam(r, "rows"), pageParam(r, "deliveries")
	link := func(rows, deliveries int64) string {
		return fmt.Sprintf("%s?rows=%d&deliveries=%d", base, rows, deliveries)
	}

	rows, total, err := w.c.Store.Rows(ctx, job.ID, (rowPage-1)*rowsPerPage, rowsPerPage)
	if err != nil {
		w.internal(rw, r, err)
		return
	}
	p.RowPager = newPager(rowPage, rowsPerPage, total, func(n int64) string { return link(n, attemptPage) + "#rows" })
	for _, row := range rows {
		p.Rows = append(p.Rows, rowOf(row, &p.Columns))
	}

	attempts, totalAttempts, err := w.c.Webhooks.Attempts(ctx, job.ID, (attemptPage-1)*attemptsPerPage, attemptsPerPage)
	if err != nil {
		w.internal(rw, r, err)
		return
	}
	p.AttemptPage = newPager(attemptPage, attemptsPerPage, totalAttempts, func(n int64) string { return link(rowPage, n) + "#deliveries" })
	seen := map[string]bool{}
	p.Attempts = make([]attemptView, len(attempts))
	for i := len(attempts) - 1; i >= 0; i-- {
		a := attempts[i]
		latest := !seen[a.EventID]
		p.Attempts[i] = attemptView{DeliveryAttempt: a, Latest: latest, Redeliver: latest && a.EventState != trawl.EventPending}
		seen[a.EventID] = true
		if a.EventState == trawl.EventFailed {
			p.HasFailed = true
		}
	}
	v := viewFor(s, fmt.Sprintf("Job %d", job.ID), "jobs")
	v.Live = "kinds=job,delivery&jobId=" + strconv.FormatInt(job.ID, 10)
	v.LiveFrom = from.String()
	v.Notice = noticeText(r.URL.Query().Get("done"))
	w.render(rw, r, http.StatusOK, "job", v, p)
}

// rowOf lays a row out in columns. Fields the scraper does not declare are
// added as columns of their own, so nothing stored is hidden.
func rowOf(row *trawl.Row, columns *[]string) rowView {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(row.Data, &obj); err != nil {
		return rowView{Seq: row.Seq, Cells: []cell{{Text: string(row.Data), Long: true}}}
	}
	known := map[string]bool{}
	for _, c := range *columns {
		known[c] = true
	}
	for k := range obj {
		if !known[k] {
			*columns = append(*columns, k)
			known[k] = true
		}
	}
	v := rowView{Seq: row.Seq}
	for _, c := range *columns {
		v.Cells = append(v.Cells, cellOf(obj[c]))
	}
	return v
}

func cellOf(raw json.RawMessage) cell {
	if len(raw) == 0 || string(raw) == "null" {
		return cell{}
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return cell{Text: s, Long: len([]rune(s)) > cellPreviewLength}
	}
	text := string(raw)
	return cell{Text: text, Long: len([]rune(text)) > cellPreviewLength}
}

// noticeText is the confirmation shown after an action, by its code in
// the redirect's query (so the page stays reloadable).
func noticeText(code string) string {
	switch code {
	case "stopped":
		return "Stop requested: no new tasks start; those in flight finish."
	case "redelivered":
		return "Redelivery queued: one more attempt, under the same webhook-id."
	case "redelivered-all":
		return "Every failed event is queued for one more attempt."
	case "rotated":
		return "The signing secret was rotated. The previous one keeps signing until the time shown."
	case "revoked":
		return "The API key was revoked."
	}
	return ""
}

func (w *Console) stopJob(rw http.ResponseWriter, r *http.Request, s *session) {
	id, ok := jobID(r)
	if !ok {
		w.notFound(rw, r, s)
		return
	}
	if _, err := w.c.Jobs.Stop(r.Context(), s.account.ID, id); trawl.ErrorCode(err) == trawl.ENOTFOUND {
		w.notFound(rw, r, s)
		return
	} else if err != nil {
		w.internal(rw, r, err)
		return
	}
	http.Redirect(rw, r, fmt.Sprintf("/console/jobs/%d?done=stopped", id), http.StatusSeeOther)
}

func (w *Console) redeliver(rw http.ResponseWriter, r *http.Request, s *session) {
	job, ok := w.job(rw, r, s)
	if !ok {
		return
	}
	_, err := w.c.Webhooks.Redeliver(r.Context(), s.account.ID, job.ID, r.PathValue("eid"))
	w.afterRedelivery(rw, r, s, job, err, "redelivered")
}

func (w *Console) redeliverFailed(rw http.ResponseWriter, r *http.Request, s *session) {
	job, ok := w.job(rw, r, s)
	if !ok {
		return
	}
	_, err := w.c.Webhooks.RedeliverFailed(r.Context(), s.account.ID, job.ID)
	w.afterRedelivery(rw, r, s, job, err, "redelivered-all")
}

func (w *Console) afterRedelivery(rw http.ResponseWriter, r *http.Request, s *session, job *trawl.Job, err error, done string) {
	switch trawl.ErrorCode(err) {
	case "":
		http.Redirect(rw, r, fmt.Sprintf("/console/jobs/%d?done=%s#deliveries", job.ID, done), http.StatusSeeOther)
	case trawl.ENOTFOUND:
		w.notFound(rw, r, s)
	case trawl.ECONFLICT, trawl.EINVALID:
		v := viewFor(s, "Cannot redeliver", "jobs")
		w.render(rw, r, http.StatusConflict, "error", v, errorPage{Message: trawl.ErrorMessage(err)})
	default:
		w.internal(rw, r, err)
	}
}
