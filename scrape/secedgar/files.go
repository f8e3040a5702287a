package secedgar

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Default hosts: www.sec.gov serves the ticker file and the filings
// themselves, data.sec.gov the submissions JSON.
const (
	DefaultBaseURL = "https://www.sec.gov"
	DefaultDataURL = "https://data.sec.gov"
)

// maxFileBytes bounds a JSON file read (the ticker file is about 1 MB, a
// large company's submissions a few MB).
const maxFileBytes = 64 << 20

// Company is one entry of the ticker file.
type Company struct {
	CIK    string // without leading zeros
	Ticker string
	Title  string
}

// TickersURL is EDGAR's ticker file.
func TickersURL(base string) string {
	return strings.TrimRight(base, "/") + "/files/company_tickers.json"
}

// SubmissionsURL is a company's submissions JSON: the CIK padded to ten
// digits.
func SubmissionsURL(data, cik string) string {
	return strings.TrimRight(data, "/") + "/submissions/CIK" + pad(cik) + ".json"
}

// ShardURL is an older shard of a company's filings, by the name its
// submissions JSON gives.
func ShardURL(data, name string) string { return strings.TrimRight(data, "/") + "/submissions/" + name }

// FilingURL is a filing's primary document:
// {base}/Archives/edgar/data/{cik}/{accession without dashes}/{document}.
func FilingURL(base, cik, accession, document string) string {
	u := strings.TrimRight(base, "/") + "/Archives/edgar/data/" + strings.TrimLeft(cik, "0") + "/" + strings.ReplaceAll(accession, "-", "")
	if document != "" {
		u += "/" + document
	}
	return u
}

func pad(cik string) string {
	cik = strings.TrimLeft(cik, "0")
	if len(cik) < 10 {
		cik = strings.Repeat("0", 10-len(cik)) + cik
	}
	return cik
}

// ParseTickers reads the ticker file: an object of entries
// {"cik_str": 320193, "ticker": "AAPL", "title": "Apple Inc."}, in the
// file's order (by key, "0", "1", …). Entries without a CIK are skipped.
func ParseTickers(r io.Reader) ([]Company, error) {
	body, err := readAll(r)
	if err != nil {
		return nil, err
	}
	var raw map[string]struct {
		CIK    json.Number `json:"cik_str"`
		Ticker string      `json:"ticker"`
		Title  string      `json:"title"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("ticker file is not the JSON object expected: %w", err)
	}
	type keyed struct {
		n int
		c Company
	}
	list := make([]keyed, 0, len(raw))
	for k, e := range raw {
		cik := strings.TrimLeft(e.CIK.String(), "0")
		if _, err := strconv.ParseUint(cik, 10, 64); err != nil || cik == "" {
			continue
		}
		n, err := strconv.Atoi(k)
		if err != nil {
			n = len(raw) + len(list)
		}
		list = append(list, keyed{n, Company{CIK: cik, Ticker: strings.TrimSpace(e.Ticker), Title: strings.TrimSpace(e.Title)}})
	}
	slices.SortFunc(list, func(a, b keyed) int {
		if a.n != b.n {
			return cmp.Compare(a.n, b.n)
		}
		return cmp.Compare(a.c.CIK, b.c.CIK)
	})
	out := make([]Company, len(list))
	for i, k := range list {
		out[i] = k.c
	}
	return out, nil
}

// Resolve finds a company by CIK (digits), ticker (case ignored) or name:
// the exact title (case ignored), else the first title containing it.
func Resolve(companies []Company, query string) (Company, bool) {
	q := strings.TrimSpace(query)
	if q == "" {
		return Company{}, false
	}
	if isDigits(q) {
		cik := strings.TrimLeft(q, "0")
		for _, c := range companies {
			if c.CIK == cik {
				return c, true
			}
		}
		return Company{CIK: cik}, cik != ""
	}
	for _, c := range companies {
		if strings.EqualFold(c.Ticker, q) {
			return c, true
		}
	}
	for _, c := range companies {
		if strings.EqualFold(c.Title, q) {
			return c, true
		}
	}
	lq := strings.ToLower(q)
	for _, c := range companies {
		if strings.Contains(strings.ToLower(c.Title), lq) {
			return c, true
		}
	}
	return Company{}, false
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != "" && len(s) <= 10
}

// Filing is one row: a filing of a company.
type Filing struct {
	CIK                   string `json:"cik"`
	CompanyName           string `json:"companyName"`
	Ticker                string `json:"ticker,omitempty"`
	Form                  string `json:"form"`
	FilingDate            string `json:"filingDate"`
	ReportDate            string `json:"reportDate,omitempty"`
	AccessionNumber       string `json:"accessionNumber"`
	PrimaryDocument       string `json:"primaryDocument,omitempty"`
	PrimaryDocDescription string `json:"primaryDocDescription,omitempty"`
	URL                   string `json:"url"`
}

// Shard is an older file of a company's filings.
type Shard struct {
	Name       string `json:"name"`
	FilingFrom string `json:"filingFrom"`
	FilingTo   string `json:"filingTo"`
}

// Submissions is what a company's submissions JSON (or a shard) says.
type Submissions struct {
	CIK     string
	Name    string
	Tickers []string
	Filings []Filing // CIK, URL and company fields left for the caller
	Shards  []Shard
}

// columns are filings as EDGAR lists them: one array per field, index i of
// each array describing filing i.
type columns struct {
	AccessionNumber       []string `json:"accessionNumber"`
	FilingDate            []string `json:"filingDate"`
	ReportDate            []string `json:"reportDate"`
	Form                  []string `json:"form"`
	PrimaryDocument       []string `json:"primaryDocument"`
	PrimaryDocDescription []string `json:"primaryDocDescription"`
}

// ParseSubmissions reads a company's submissions JSON:
// {cik, name, tickers, filings: {recent: {…columns…}, files: [shards]}}.
// With shard set it reads a shard instead, whose columns are at the top.
// A filing without an accession number or a form is skipped; a column
// shorter than the accession numbers leaves that field empty.
func ParseSubmissions(r io.Reader, shard bool) (*Submissions, error) {
	body, err := readAll(r)
	if err != nil {
		return nil, err
	}
	var doc struct {
		CIK     json.Number `json:"cik"`
		Name    string      `json:"name"`
		Tickers []string    `json:"tickers"`
		Filings struct {
			Recent columns `json:"recent"`
			Files  []Shard `json:"files"`
		} `json:"filings"`
	}
	var cols columns
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if shard {
		err = dec.Decode(&cols)
	} else {
		err = dec.Decode(&doc)
		cols = doc.Filings.Recent
	}
	if err != nil {
		return nil, fmt.Errorf("submissions file is not the JSON expected: %w", err)
	}
	s := &Submissions{CIK: strings.TrimLeft(doc.CIK.String(), "0"), Name: strings.TrimSpace(doc.Name), Tickers: doc.Tickers, Shards: doc.Filings.Files}
	get := func(col []string, i int) string {
		if i < len(col) {
			return strings.TrimSpace(col[i])
		}
		return ""
	}
	for i, acc := range cols.AccessionNumber {
		f := Filing{AccessionNumber: strings.TrimSpace(acc), Form: get(cols.Form, i), FilingDate: get(cols.FilingDate, i),
			ReportDate: get(cols.ReportDate, i), PrimaryDocument: get(cols.PrimaryDocument, i),
			PrimaryDocDescription: get(cols.PrimaryDocDescription, i)}
		if f.AccessionNumber == "" || f.Form == "" {
			continue
		}
		s.Filings = append(s.Filings, f)
	}
	return s, nil
}

func readAll(r io.Reader) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r, maxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	if len(body) > maxFileBytes {
		return nil, errors.New("file larger than 64 MB")
	}
	return body, nil
}
