package scrape

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/trawlhq/trawl"
)

// Scraper is one kind of job (crawler, contacts, google-maps). A job is split
// into tasks that a Scraper runs one at a time, each retried on its own; a
// Scraper keeps no state between tasks, so any node can run any task.
type Scraper interface {
	// Info describes the scraper for GET /scrapers.
	Info() Info
	// Parse validates the scraper's parameters in a create request body and
	// returns them normalised (defaults filled in) as JSON. Fields it does not
	// know are ignored; "limit" and "webhook" are read by the caller. A bad
	// value is an EINVALID *trawl.Error naming the field.
	Parse(body json.RawMessage) (json.RawMessage, error)
	// Plan returns a job's first tasks.
	Plan(job *trawl.Job) ([]trawl.TaskSpec, error)
	// Run does one task: it fetches, parses and returns rows and follow-up
	// tasks. An error means the task should be tried again later; a page that
	// cannot be scraped is a row that says so, not an error.
	Run(ctx context.Context, job *trawl.Job, task *trawl.Task) (*Result, error)
}

// Info describes a scraper.
type Info struct {
	Slug        string         `json:"slug"`
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Params      map[string]any `json:"parameters"` // a JSON Schema of the create body
	Columns     []string       `json:"columns"`    // the row fields, in export order
	// OneRowPerTask is set when every task yields exactly one row, so a job
	// with a limit never needs more tasks than its limit.
	OneRowPerTask bool `json:"-"`
}

// Result is what one task produced.
type Result struct {
	Rows []json.RawMessage
	// Next are follow-up tasks; the job skips any it already has.
	Next []trawl.TaskSpec
	// Credits counts the successful outbound page fetches the task made.
	Credits int64
}

// Registry holds the scrapers a trawl serves, by slug.
type Registry struct {
	scrapers []Scraper
	// What scrapers[i].Info() says, read once: Info builds the schema.
	slugs  []string
	oneRow []bool
}

// NewRegistry returns a registry of scrapers, listed in the order given.
func NewRegistry(scrapers ...Scraper) *Registry {
	r := &Registry{scrapers: scrapers}
	for _, s := range scrapers {
		info := s.Info()
		r.slugs = append(r.slugs, info.Slug)
		r.oneRow = append(r.oneRow, info.OneRowPerTask)
	}
	return r
}

// OneRowPerTask reports whether the scraper with slug yields one row per
// task (Info.OneRowPerTask), without building its Info.
func (r *Registry) OneRowPerTask(slug string) bool {
	i := slices.Index(r.slugs, slug)
	return i >= 0 && r.oneRow[i]
}

// Get returns the scraper with slug, if there is one.
func (r *Registry) Get(slug string) (Scraper, bool) {
	i := slices.Index(r.slugs, slug)
	if i < 0 {
		return nil, false
	}
	return r.scrapers[i], true
}

// All returns every scraper.
func (r *Registry) All() []Scraper {
	return slices.Clone(r.scrapers)
}

// Slugs returns every scraper's slug.
func (r *Registry) Slugs() []string {
	return slices.Clone(r.slugs)
}
