package httpapi

import (
	"encoding/json"
	"math"
	"net/url"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/trawlhq/trawl"
)

// timeLayout is RFC 3339 with milliseconds; times are written in UTC.
const timeLayout = "2006-01-02T15:04:05.000Z07:00"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func formatTimePtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := formatTime(*t)
	return &s
}

// jobRecord is the job as clients of HasData's API read it. The field order
// is the JSON key order.
type jobRecord struct {
	ID            int64           `json:"id" doc:"The job's id."`
	ScraperID     int             `json:"scraperId" doc:"The scraper's number: its position in GET /scrapers, from 1."`
	Status        jobStatus       `json:"status"`
	StopReason    *string         `json:"stopReason" doc:"Why the job ended early: data_limit_exceeded (it reached its limit; status finished), stopped (a client stopped it), or the error of a failed job. null otherwise."`
	Scraper       scraperRef      `json:"scraper"`
	Input         json.RawMessage `json:"input" doc:"The create body as submitted, webhook included, with the value of each webhook header masked and fields the scraper does not know left out."`
	CreditsSpent  int64           `json:"creditsSpent" doc:"Successful outbound page fetches so far."`
	DataRowsCount int64           `json:"dataRowsCount" doc:"Rows stored so far."`
	CreatedAt     string          `json:"createdAt" format:"date-time"`
	UpdatedAt     string          `json:"updatedAt" format:"date-time"`
	StartedAt     *string         `json:"startedAt" format:"date-time" doc:"null until the job starts."`
	FinishedAt    *string         `json:"finishedAt" format:"date-time" doc:"null until the job ends."`
	Data          *DataLinks      `json:"data"`
	Columns       []string        `json:"columns" doc:"The fields of the job's rows, in export order."`
	IgnoredFields []string        `json:"ignoredFields,omitempty" doc:"In the answer to a create only: the fields of the body the scraper does not know, which were not stored (at most 20 named). Absent when there were none."`
}

// stoppedJob is the answer to DELETE: the record with jobId in place of id,
// as HasData's stop endpoint writes it. Its fields match jobRecord's, so one
// converts to the other.
type stoppedJob struct {
	ID            int64           `json:"jobId" doc:"The job's id."`
	ScraperID     int             `json:"scraperId" doc:"The scraper's number: its position in GET /scrapers, from 1."`
	Status        jobStatus       `json:"status"`
	StopReason    *string         `json:"stopReason" doc:"Why the job ended early: data_limit_exceeded, stopped, or the error of a failed job; null otherwise."`
	Scraper       scraperRef      `json:"scraper"`
	Input         json.RawMessage `json:"input" doc:"The create body as submitted, webhook included, with the value of each webhook header masked and fields the scraper does not know left out."`
	CreditsSpent  int64           `json:"creditsSpent"`
	DataRowsCount int64           `json:"dataRowsCount"`
	CreatedAt     string          `json:"createdAt" format:"date-time"`
	UpdatedAt     string          `json:"updatedAt" format:"date-time"`
	StartedAt     *string         `json:"startedAt" format:"date-time"`
	FinishedAt    *string         `json:"finishedAt" format:"date-time"`
	Data          *DataLinks      `json:"data"`
	Columns       []string        `json:"columns"`
	IgnoredFields []string        `json:"ignoredFields,omitempty" doc:"Never set on a stop."`
}

type scraperRef struct {
	Slug string `json:"slug" doc:"The scraper's slug."`
}

// jobStatus documents trawl.Status with its values.
type jobStatus trawl.Status

// Schema lists the statuses from trawl.Statuses, so the document never
// drifts from the domain.
func (jobStatus) Schema(huma.Registry) *huma.Schema {
	return statusSchema("pending → in_progress → finished | stopped | failed.")
}

// statusFilter is the status query parameter of GET /scrapers/jobs; huma
// validates it against the same list.
type statusFilter string

// Schema lists the statuses a filter accepts.
func (statusFilter) Schema(huma.Registry) *huma.Schema {
	return statusSchema("Only jobs with this status; empty for all.")
}

func statusSchema(doc string) *huma.Schema {
	s := &huma.Schema{Type: huma.TypeString, Description: doc}
	for _, st := range trawl.Statuses() {
		s.Enum = append(s.Enum, string(st))
	}
	return s
}

// record converts a job for the API.
func (s *server) record(j *trawl.Job) jobRecord {
	r := jobRecord{
		ID:            j.ID,
		Status:        jobStatus(j.Status),
		Scraper:       scraperRef{Slug: j.Scraper},
		Input:         trawl.MaskWebhookHeaders(j.Input),
		CreditsSpent:  j.CreditsSpent,
		DataRowsCount: j.DataRowsCount,
		CreatedAt:     formatTime(j.CreatedAt),
		UpdatedAt:     formatTime(j.UpdatedAt),
		StartedAt:     formatTimePtr(j.StartedAt),
		FinishedAt:    formatTimePtr(j.FinishedAt),
	}
	if j.StopReason != "" {
		reason := j.StopReason
		r.StopReason = &reason
	}
	if len(r.Input) == 0 {
		r.Input = json.RawMessage("{}")
	}
	if s.links != nil {
		r.Data = s.links(j)
	}
	r.Columns = []string{}
	for i, sc := range s.scrapers {
		if sc.Slug == j.Scraper {
			r.ScraperID, r.Columns = i+1, sc.Columns
		}
	}
	return r
}

// row is one stored result, wrapped as HasData wraps it.
type row struct {
	ID        string          `json:"id" format:"uuid" doc:"The row's id."`
	JobID     int64           `json:"jobId"`
	DataID    string          `json:"dataId" format:"uuid" doc:"The row's id again, where HasData's rows carry a dataId."`
	Data      json.RawMessage `json:"data" doc:"The scraper's row object."`
	CreatedAt string          `json:"createdAt" format:"date-time"`
	UpdatedAt string          `json:"updatedAt" format:"date-time" doc:"Rows never change: the same as createdAt."`
}

func toRow(r *trawl.Row) row {
	created := formatTime(r.CreatedAt)
	return row{ID: r.ID, JobID: r.JobID, DataID: r.ID, Data: r.Data, CreatedAt: created, UpdatedAt: created}
}

// pageMeta is the paging block of a results or jobs page, in the shape of
// AdonisJS's paginator that HasData's API writes. The URLs are absolute when
// Config.PublicURL is set.
type pageMeta struct {
	Total           int64   `json:"total" doc:"Items in all pages."`
	PerPage         int64   `json:"perPage"`
	CurrentPage     int64   `json:"currentPage"`
	LastPage        int64   `json:"lastPage" doc:"At least 1, even with no items."`
	FirstPage       int64   `json:"firstPage"`
	FirstPageURL    string  `json:"firstPageUrl"`
	LastPageURL     string  `json:"lastPageUrl"`
	NextPageURL     *string `json:"nextPageUrl" doc:"null on the last page and past it."`
	PreviousPageURL *string `json:"previousPageUrl" doc:"null on the first page."`
}

// newPageMeta pages total items limit at a time. pageURL(n) is the URL of
// page n.
func newPageMeta(total, page, limit int64, pageURL func(page int64) string) pageMeta {
	last := max(1, (total+limit-1)/limit)
	m := pageMeta{
		Total:        total,
		PerPage:      limit,
		CurrentPage:  page,
		LastPage:     last,
		FirstPage:    1,
		FirstPageURL: pageURL(1),
		LastPageURL:  pageURL(last),
	}
	if page < last {
		next := pageURL(page + 1)
		m.NextPageURL = &next
	}
	if page > 1 {
		prev := pageURL(page - 1)
		m.PreviousPageURL = &prev
	}
	return m
}

// pageOffset is the number of items before page, capped at the largest
// offset so that a huge page number is simply past the end.
func pageOffset(page, limit int64) int64 {
	if page-1 > math.MaxInt64/limit {
		return math.MaxInt64
	}
	return (page - 1) * limit
}

// pageMeta pages total items of the list at path, keeping its status filter
// (empty for none) in the page URLs.
func (s *server) pageMeta(path, status string, total, page, limit int64) pageMeta {
	return newPageMeta(total, page, limit, func(n int64) string { return s.pageURL(path, n, limit, status) })
}

// pageURL returns the absolute (or, without a public URL, relative) URL of
// one page of path, keeping the list's status filter.
func (s *server) pageURL(path string, page, limit int64, status string) string {
	u := s.publicURL + path + "?page=" + strconv.FormatInt(page, 10) + "&limit=" + strconv.FormatInt(limit, 10)
	if status != "" {
		u += "&status=" + url.QueryEscape(status)
	}
	return u
}
