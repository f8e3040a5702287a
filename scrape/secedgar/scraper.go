package secedgar

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/scrape"
)

// Slug is the scraper's path segment: POST /scrapers/sec-edgar/jobs.
const Slug = "sec-edgar"

// Limits.
const (
	MaxCompanies = 100
	// RequestsPerSecond is EDGAR's published cap for one client.
	RequestsPerSecond = 10
)

// ErrNoContact is a sec-edgar job on a trawl with no contact e-mail set.
var ErrNoContact = errors.New("sec-edgar jobs need a contact e-mail, which EDGAR requires in the User-Agent of every " +
	"request: set TRAWL_SEC_EDGAR_CONTACT (--sec-edgar-contact) to an address the SEC can reach, e.g. ops@example.com")

var (
	emailRE = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	dateRE  = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
)

// ValidContact reports whether s is an e-mail address fit for EDGAR's
// User-Agent.
func ValidContact(s string) bool { return emailRE.MatchString(s) }

// UserAgent is the User-Agent EDGAR gets: trawl's name and the contact.
func UserAgent(version, contact string) string { return "trawl/" + version + " " + contact }

// Params are a sec-edgar job's parameters, normalised.
type Params struct {
	CIKs        []string `json:"ciks"`
	FilingTypes []string `json:"filingTypes,omitempty"` // upper case; empty = every form
	StartDate   string   `json:"startDate,omitempty"`
	EndDate     string   `json:"endDate,omitempty"`
}

// ParseParams validates a sec-edgar create body: ciks (CIKs, tickers or
// company names; required), filingTypes (a comma-separated string or an
// array), startDate and endDate (YYYY-MM-DD, on the filing date).
func ParseParams(body []byte) (*Params, error) {
	var in struct {
		CIKs        json.RawMessage `json:"ciks"`
		FilingTypes json.RawMessage `json:"filingTypes"`
		StartDate   json.RawMessage `json:"startDate"`
		EndDate     json.RawMessage `json:"endDate"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, trawl.Errorf(trawl.EMALFORMED, "The request body is not valid JSON: %v.", err)
	}
	p := &Params{}
	var v trawl.Invalid
	ciks, ok := scrape.StringList(in.CIKs)
	switch {
	case !scrape.Present(in.CIKs):
		v.Add("ciks", "is required: 1 to %d companies, each a CIK (\"320193\"), a ticker (\"AAPL\") or a name", MaxCompanies)
	case !ok:
		v.Add("ciks", "must be an array of strings")
	case len(ciks) == 0 || len(ciks) > MaxCompanies:
		v.Add("ciks", "must hold 1 to %d companies, not %d", MaxCompanies, len(ciks))
	}
	for i, c := range ciks {
		c = strings.TrimSpace(c)
		switch {
		case c == "" || len(c) > 200:
			v.Add(fmt.Sprintf("ciks[%d]", i), "must be a CIK, a ticker or a company name")
		case !slices.ContainsFunc(p.CIKs, func(x string) bool { return strings.EqualFold(x, c) }):
			p.CIKs = append(p.CIKs, c)
		}
	}
	if scrape.Present(in.FilingTypes) {
		var list []string
		var one string
		if json.Unmarshal(in.FilingTypes, &one) == nil {
			list = strings.Split(one, ",")
		} else if err := json.Unmarshal(in.FilingTypes, &list); err != nil {
			v.Add("filingTypes", "must be a comma-separated string (\"10-K, 10-Q\") or an array of forms")
		}
		for _, f := range list {
			if f = strings.ToUpper(strings.TrimSpace(f)); f != "" && len(f) <= 30 && !slices.Contains(p.FilingTypes, f) {
				p.FilingTypes = append(p.FilingTypes, f)
			}
		}
	}
	date := func(field string, raw json.RawMessage) string {
		if !scrape.Present(raw) {
			return ""
		}
		var s string
		if json.Unmarshal(raw, &s) != nil || !dateRE.MatchString(s) {
			v.Add(field, "must be a date, YYYY-MM-DD")
			return ""
		}
		if _, err := time.Parse(time.DateOnly, s); err != nil {
			v.Add(field, "must be a date, YYYY-MM-DD")
			return ""
		}
		return s
	}
	p.StartDate, p.EndDate = date("startDate", in.StartDate), date("endDate", in.EndDate)
	if p.StartDate != "" && p.EndDate != "" && p.StartDate > p.EndDate {
		v.Add("endDate", "must not be before startDate")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return p, nil
}

// wants reports whether a filing passes the job's filters.
func (p *Params) wants(f *Filing) bool {
	if len(p.FilingTypes) > 0 && !slices.Contains(p.FilingTypes, strings.ToUpper(f.Form)) {
		return false
	}
	return (p.StartDate == "" || f.FilingDate >= p.StartDate) && (p.EndDate == "" || f.FilingDate <= p.EndDate)
}

// overlaps reports whether a shard's dates can hold a filing the job wants.
func (p *Params) overlaps(s Shard) bool {
	return (p.StartDate == "" || s.FilingTo == "" || s.FilingTo >= p.StartDate) &&
		(p.EndDate == "" || s.FilingFrom == "" || s.FilingFrom <= p.EndDate)
}

// Config configures the scraper.
type Config struct {
	// Fetcher must send EDGAR's User-Agent (UserAgent with the contact);
	// nil when no contact is configured: jobs then fail with ErrNoContact.
	Fetcher *scrape.Fetcher
	BaseURL string // www.sec.gov: the ticker file and the filings; "" = DefaultBaseURL
	DataURL string // data.sec.gov: submissions; "" = DefaultDataURL
}

// Scraper is the SEC EDGAR scraper. A job resolves its companies (one
// fetch of the ticker file, only when a name or ticker needs it), then
// reads each company's submissions (one task, keyed by CIK, so a company
// named twice is read once) and the older shards whose dates the filters
// can match (a task each). Every request to EDGAR waits on one limiter of
// RequestsPerSecond shared by the scraper's tasks on this node.
type Scraper struct {
	fetcher *scrape.Fetcher
	base    string
	data    string
	limiter *rate.Limiter
}

var _ scrape.Scraper = (*Scraper)(nil)

// New returns the scraper; it fails on a base URL that is not absolute
// http(s).
func New(c Config) (*Scraper, error) {
	s := &Scraper{fetcher: c.Fetcher, limiter: rate.NewLimiter(RequestsPerSecond, 1)}
	var err error
	if s.base, err = scrape.BaseURL(c.BaseURL, DefaultBaseURL, "sec edgar URL"); err != nil {
		return nil, err
	}
	if s.data, err = scrape.BaseURL(c.DataURL, DefaultDataURL, "sec edgar data URL"); err != nil {
		return nil, err
	}
	return s, nil
}

// Columns are a row's fields, in export order.
func Columns() []string {
	return []string{"cik", "companyName", "ticker", "form", "filingDate", "reportDate", "accessionNumber", "primaryDocument",
		"primaryDocDescription", "url", "input", "error"}
}

// Info implements scrape.Scraper.
func (s *Scraper) Info() scrape.Info {
	return scrape.Info{
		Slug:        Slug,
		Name:        "SEC EDGAR filings",
		Description: "Lists the filings of each company (a CIK, a ticker or a name) from EDGAR's submissions JSON, filtered by form and filing date: one row per filing.",
		Columns:     Columns(),
		Params: scrape.BodySchema([]string{"ciks"}, map[string]any{
			"ciks": map[string]any{"type": "array", "minItems": 1, "maxItems": MaxCompanies,
				"items":       map[string]any{"type": "string", "minLength": 1},
				"description": "Companies: CIKs (\"320193\"), tickers (\"AAPL\") or names (\"Alphabet Inc.\")."},
			"filingTypes": map[string]any{"description": "Forms to keep, e.g. \"10-K, 10-Q\" or [\"10-K\", \"8-K\"]; absent = all.",
				"oneOf": []any{map[string]any{"type": "string"}, map[string]any{"type": "array", "items": map[string]any{"type": "string"}}}},
			"startDate": map[string]any{"type": "string", "format": "date", "description": "Earliest filing date, YYYY-MM-DD."},
			"endDate":   map[string]any{"type": "string", "format": "date", "description": "Latest filing date, YYYY-MM-DD."},
		}),
	}
}

// Parse implements scrape.Scraper.
func (s *Scraper) Parse(body json.RawMessage) (json.RawMessage, error) {
	p, err := ParseParams(body)
	if err != nil {
		return nil, err
	}
	return json.Marshal(p)
}

// task is one task: resolve names, read a company, or read a shard.
type task struct {
	Kind    string   `json:"kind"`              // "resolve", "company", "shard"
	Queries []string `json:"queries,omitempty"` // resolve
	Input   string   `json:"input,omitempty"`   // company: what the job named
	CIK     string   `json:"cik,omitempty"`
	Name    string   `json:"name,omitempty"`   // shard: the company's name
	Ticker  string   `json:"ticker,omitempty"` // shard
	Shard   string   `json:"shard,omitempty"`
}

func spec(t task) (trawl.TaskSpec, error) {
	key := t.Kind
	switch t.Kind {
	case "company":
		key += ":" + t.CIK
	case "shard":
		key += ":" + t.CIK + ":" + t.Shard
	}
	payload, err := json.Marshal(t)
	return trawl.TaskSpec{Key: key, Payload: payload}, err
}

// Plan implements scrape.Scraper. Without a contact e-mail the job fails
// at once with ErrNoContact.
func (s *Scraper) Plan(job *trawl.Job) ([]trawl.TaskSpec, error) {
	if s.fetcher == nil {
		return nil, ErrNoContact
	}
	var p Params
	if err := json.Unmarshal(job.Params, &p); err != nil {
		return nil, fmt.Errorf("read sec edgar params: %w", err)
	}
	var specs []trawl.TaskSpec
	var names []string
	for _, c := range p.CIKs {
		if !isDigits(c) {
			names = append(names, c)
			continue
		}
		sp, err := spec(task{Kind: "company", Input: c, CIK: strings.TrimLeft(c, "0")})
		if err != nil {
			return nil, err
		}
		specs = append(specs, sp)
	}
	if len(names) > 0 {
		sp, err := spec(task{Kind: "resolve", Queries: names})
		if err != nil {
			return nil, err
		}
		specs = append(specs, sp)
	}
	return specs, nil
}

// Run implements scrape.Scraper.
func (s *Scraper) Run(ctx context.Context, job *trawl.Job, tk *trawl.Task) (*scrape.Result, error) {
	if s.fetcher == nil {
		return nil, ErrNoContact
	}
	var p Params
	if err := json.Unmarshal(job.Params, &p); err != nil {
		return nil, fmt.Errorf("read sec edgar params: %w", err)
	}
	var t task
	if err := json.Unmarshal(tk.Payload, &t); err != nil {
		return nil, fmt.Errorf("read sec edgar task: %w", err)
	}
	switch t.Kind {
	case "resolve":
		return s.resolve(ctx, t)
	case "company", "shard":
		return s.filings(ctx, &p, t)
	}
	return nil, fmt.Errorf("sec edgar task %q: unknown kind %q", tk.Key, t.Kind)
}

// get fetches u at EDGAR's pace. 403 says what EDGAR means by it; a
// status other than 2xx is an error (404 is errNotFound).
func (s *Scraper) get(ctx context.Context, u string) ([]byte, error) {
	if err := s.limiter.Wait(ctx); err != nil {
		return nil, err
	}
	resp, err := s.fetcher.Fetch(ctx, scrape.Request{URL: u})
	if err != nil {
		return nil, fmt.Errorf("sec edgar %s: %w", u, err)
	}
	switch c := resp.StatusCode; {
	case c == 404:
		return nil, errNotFound
	case c == 403:
		return nil, fmt.Errorf("sec edgar %s: HTTP 403: EDGAR refuses requests without a User-Agent naming a contact, and clients over 10 requests/s", u)
	case c < 200 || c > 299:
		return nil, fmt.Errorf("sec edgar %s: HTTP %d", u, c)
	}
	return resp.Body, nil
}

var errNotFound = errors.New("not found")

// errorRow is a row saying a company could not be read.
func errorRow(input, cik, msg string) (json.RawMessage, error) {
	return json.Marshal(map[string]string{"input": input, "cik": cik, "error": msg})
}

// resolve fetches the ticker file and returns a company task per name or
// ticker it finds, and an error row per one it does not.
func (s *Scraper) resolve(ctx context.Context, t task) (*scrape.Result, error) {
	body, err := s.get(ctx, TickersURL(s.base))
	if err != nil {
		return nil, err
	}
	companies, err := ParseTickers(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("sec edgar ticker file: %w", err)
	}
	res := &scrape.Result{Credits: 1}
	for _, q := range t.Queries {
		c, ok := Resolve(companies, q)
		if !ok {
			row, err := errorRow(q, "", fmt.Sprintf("No company in EDGAR's ticker file has the ticker or name %q.", q))
			if err != nil {
				return nil, err
			}
			res.Rows = append(res.Rows, row)
			continue
		}
		sp, err := spec(task{Kind: "company", Input: q, CIK: c.CIK})
		if err != nil {
			return nil, err
		}
		res.Next = append(res.Next, sp)
	}
	return res, nil
}

// filings reads a company's submissions (or one shard) and returns a row
// per filing the filters keep, and for a company the shards to read.
func (s *Scraper) filings(ctx context.Context, p *Params, t task) (*scrape.Result, error) {
	u := SubmissionsURL(s.data, t.CIK)
	if t.Kind == "shard" {
		u = ShardURL(s.data, t.Shard)
	}
	body, err := s.get(ctx, u)
	if errors.Is(err, errNotFound) && t.Kind == "company" {
		row, err := errorRow(t.Input, t.CIK, fmt.Sprintf("EDGAR has no company with CIK %s.", t.CIK))
		if err != nil {
			return nil, err
		}
		return &scrape.Result{Rows: []json.RawMessage{row}}, nil
	} else if err != nil {
		return nil, err
	}
	sub, err := ParseSubmissions(bytes.NewReader(body), t.Kind == "shard")
	if err != nil {
		return nil, fmt.Errorf("sec edgar %s: %w", u, err)
	}
	name, ticker := t.Name, t.Ticker
	if t.Kind == "company" {
		name = sub.Name
		if len(sub.Tickers) > 0 {
			ticker = sub.Tickers[0]
		}
	}
	res := &scrape.Result{Credits: 1}
	for _, f := range sub.Filings {
		if !p.wants(&f) {
			continue
		}
		f.CIK, f.CompanyName, f.Ticker = t.CIK, name, ticker
		f.URL = FilingURL(s.base, t.CIK, f.AccessionNumber, f.PrimaryDocument)
		row, err := json.Marshal(f)
		if err != nil {
			return nil, err
		}
		res.Rows = append(res.Rows, row)
	}
	for _, sh := range sub.Shards {
		if sh.Name == "" || strings.ContainsAny(sh.Name, "/?#") || !p.overlaps(sh) {
			continue
		}
		sp, err := spec(task{Kind: "shard", CIK: t.CIK, Name: name, Ticker: ticker, Shard: sh.Name})
		if err != nil {
			return nil, err
		}
		res.Next = append(res.Next, sp)
	}
	return res, nil
}
