package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"
)

// Job is a job record as GET /scrapers/jobs/{id} writes it.
type Job struct {
	ID            int64           `json:"id"`
	Status        string          `json:"status"`
	StopReason    *string         `json:"stopReason"`
	Scraper       ScraperRef      `json:"scraper"`
	Input         json.RawMessage `json:"input"`
	CreditsSpent  int64           `json:"creditsSpent"`
	DataRowsCount int64           `json:"dataRowsCount"`
	CreatedAt     string          `json:"createdAt"`
	UpdatedAt     string          `json:"updatedAt"`
	StartedAt     *string         `json:"startedAt"`
	FinishedAt    *string         `json:"finishedAt"`
	Data          *Links          `json:"data"`
	Columns       []string        `json:"columns"`
}

// ScraperRef names a job's scraper.
type ScraperRef struct {
	Slug string `json:"slug"`
}

// Links are a terminal job's signed download links.
type Links struct {
	JSON string `json:"json"`
	CSV  string `json:"csv"`
	XLSX string `json:"xlsx"`
}

// Terminal reports whether the job has ended: finished, stopped or failed.
func (j *Job) Terminal() bool {
	return j.Status == "finished" || j.Status == "stopped" || j.Status == "failed"
}

// Limit is the job's row limit from its input (0: none), the one total a
// job knows in advance.
func (j *Job) Limit() int64 {
	var in struct {
		Limit int64 `json:"limit"`
	}
	_ = json.Unmarshal(j.Input, &in)
	return max(in.Limit, 0)
}

// Scraper describes one scraper, as GET /scrapers lists it.
type Scraper struct {
	Slug        string         `json:"slug"`
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Parameters  map[string]any `json:"parameters"` // JSON Schema of the create body
	Columns     []string       `json:"columns"`
}

// PageMeta is the paging part of a list or results page.
type PageMeta struct {
	Total       int64 `json:"total"`
	PerPage     int64 `json:"perPage"`
	CurrentPage int64 `json:"currentPage"`
	LastPage    int64 `json:"lastPage"`
}

// JobsPage is one page of GET /scrapers/jobs.
type JobsPage struct {
	Meta PageMeta `json:"meta"`
	Data []Job    `json:"data"`
}

// Row is one stored row; Data is the scraper's row object.
type Row struct {
	ID        json.RawMessage `json:"id"` // an opaque id (a string today)
	JobID     int64           `json:"jobId"`
	Data      json.RawMessage `json:"data"`
	CreatedAt string          `json:"createdAt"`
}

// RowsPage is one page of GET /scrapers/jobs/{id}/results.
type RowsPage struct {
	Meta PageMeta `json:"meta"`
	Data []Row    `json:"data"`
}

// Account is the caller's account, with the secret that signs its webhooks.
type Account struct {
	ID            int64  `json:"id"`
	Name          string `json:"name"`
	WebhookSecret string `json:"webhookSecret"`
}

func jobPath(id int64) string { return "/scrapers/jobs/" + strconv.FormatInt(id, 10) }

// Scrapers lists the server's scrapers with their parameter schemas.
func (c *Client) Scrapers(ctx context.Context) ([]Scraper, error) {
	var out struct {
		Data []Scraper `json:"data"`
	}
	err := c.call(ctx, "GET", "/scrapers", nil, &out)
	return out.Data, err
}

// CreateJob creates a job of the scraper slug with body, the create body
// as JSON (parameters, limit, webhook).
func (c *Client) CreateJob(ctx context.Context, slug string, body json.RawMessage) (*Job, error) {
	var j Job
	if err := c.call(ctx, "POST", "/scrapers/"+url.PathEscape(slug)+"/jobs", body, &j); err != nil {
		return nil, err
	}
	return &j, nil
}

// Job returns the job's record.
func (c *Client) Job(ctx context.Context, id int64) (*Job, error) {
	var j Job
	if err := c.call(ctx, "GET", jobPath(id), nil, &j); err != nil {
		return nil, err
	}
	return &j, nil
}

// Jobs lists the account's jobs, newest first: page from 1, limit 1..100,
// status empty for any.
func (c *Client) Jobs(ctx context.Context, status string, page, limit int) (*JobsPage, error) {
	q := url.Values{}
	if status != "" {
		q.Set("status", status)
	}
	q.Set("page", strconv.Itoa(page))
	q.Set("limit", strconv.Itoa(limit))
	var out JobsPage
	if err := c.call(ctx, "GET", "/scrapers/jobs?"+q.Encode(), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// StopJob stops the job: no new task starts, those in flight finish. It
// returns the record as the stop answered it (with its id in ID).
func (c *Client) StopJob(ctx context.Context, id int64) (*Job, error) {
	var out struct {
		Job
		JobID int64 `json:"jobId"`
	}
	if err := c.call(ctx, "DELETE", jobPath(id), nil, &out); err != nil {
		return nil, err
	}
	out.Job.ID = out.JobID
	return &out.Job, nil
}

// Results returns one page of the job's rows (page from 1, limit 1..100).
func (c *Client) Results(ctx context.Context, id int64, page, limit int) (*RowsPage, error) {
	var out RowsPage
	path := fmt.Sprintf("%s/results?page=%d&limit=%d", jobPath(id), page, limit)
	if err := c.call(ctx, "GET", path, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// EachRow calls fn with every row of the job, in storage order, reading
// the results a page of 100 at a time.
func (c *Client) EachRow(ctx context.Context, id int64, fn func(Row) error) error {
	for page := 1; ; page++ {
		p, err := c.Results(ctx, id, page, 100)
		if err != nil {
			return err
		}
		for _, r := range p.Data {
			if err := fn(r); err != nil {
				return err
			}
		}
		if len(p.Data) == 0 || int64(page) >= p.Meta.LastPage {
			return nil
		}
	}
}

// Export opens the job's rows as a file of format json, csv or xlsx, as
// the server's exporter writes it. The caller closes it.
func (c *Client) Export(ctx context.Context, id int64, format string) (io.ReadCloser, error) {
	req, err := c.request(ctx, "GET", jobPath(id)+"/results."+url.PathEscape(format), nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.send(req)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// Account returns the caller's account and its webhook signing secret.
func (c *Client) Account(ctx context.Context) (*Account, error) {
	var a Account
	if err := c.call(ctx, "GET", "/account", nil, &a); err != nil {
		return nil, err
	}
	return &a, nil
}
