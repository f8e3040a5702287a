// Package edgartest fakes SEC EDGAR's public JSON for tests:
// /files/company_tickers.json, /submissions/CIK##########.json (with
// filings.recent as column arrays and filings.files naming older shards)
// and the shards. Like EDGAR it answers 403 to a request whose User-Agent
// names no e-mail address.
package edgartest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Filing is one filing of a company.
type Filing struct {
	Accession, Form, FilingDate, ReportDate, Document, Description string
}

// Company is one company: its latest filings and older shards, newest first.
type Company struct {
	CIK     int
	Name    string
	Tickers []string
	Recent  []Filing
	Shards  [][]Filing
}

// Filings makes n filings of forms in turn, one every 20 days back from
// the date (YYYY-MM-DD) given as start.
func Filings(cik, n int, start string, forms ...string) []Filing {
	var out []Filing
	y, _ := strconv.Atoi(start[:4])
	m, _ := strconv.Atoi(start[5:7])
	d, _ := strconv.Atoi(start[8:10])
	day := y*360 + (m-1)*30 + (d - 1)
	for i := range n {
		t := day - i*20
		date := fmt.Sprintf("%04d-%02d-%02d", t/360, t%360/30+1, t%30+1)
		form := forms[i%len(forms)]
		out = append(out, Filing{Accession: fmt.Sprintf("%010d-%02d-%06d", cik, (t/360)%100, 100000+i+cik%1000), Form: form,
			FilingDate: date, ReportDate: date, Document: fmt.Sprintf("doc%d-%d.htm", cik, i), Description: form})
	}
	return out
}

func columns(fs []Filing) map[string]any {
	c := map[string][]string{}
	for _, f := range fs {
		c["accessionNumber"] = append(c["accessionNumber"], f.Accession)
		c["filingDate"] = append(c["filingDate"], f.FilingDate)
		c["reportDate"] = append(c["reportDate"], f.ReportDate)
		c["form"] = append(c["form"], f.Form)
		c["primaryDocument"] = append(c["primaryDocument"], f.Document)
		c["primaryDocDescription"] = append(c["primaryDocDescription"], f.Description)
		c["acceptanceDateTime"] = append(c["acceptanceDateTime"], f.FilingDate+"T16:30:00.000Z")
	}
	out := map[string]any{}
	for k, v := range c {
		out[k] = v
	}
	for _, k := range []string{"accessionNumber", "filingDate", "reportDate", "form", "primaryDocument", "primaryDocDescription"} {
		if out[k] == nil {
			out[k] = []string{}
		}
	}
	return out
}

func shardName(cik, i int) string { return fmt.Sprintf("CIK%010d-submissions-%03d.json", cik, i+1) }

// Submissions encodes a company's submissions JSON.
func Submissions(c Company) []byte {
	files := []map[string]any{}
	for i, sh := range c.Shards {
		if len(sh) == 0 {
			continue
		}
		files = append(files, map[string]any{"name": shardName(c.CIK, i), "filingCount": len(sh),
			"filingFrom": sh[len(sh)-1].FilingDate, "filingTo": sh[0].FilingDate})
	}
	b, err := json.Marshal(map[string]any{"cik": strconv.Itoa(c.CIK), "entityType": "operating", "sic": "3571",
		"name": c.Name, "tickers": c.Tickers, "exchanges": []string{"Nasdaq"},
		"filings": map[string]any{"recent": columns(c.Recent), "files": files}})
	if err != nil {
		panic(err)
	}
	return b
}

// Tickers encodes the ticker file of companies (one entry per ticker).
func Tickers(cs []Company) []byte {
	m := map[string]any{}
	for _, c := range cs {
		for _, t := range c.Tickers {
			m[strconv.Itoa(len(m))] = map[string]any{"cik_str": c.CIK, "ticker": t, "title": c.Name}
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

// Server is the fake.
type Server struct {
	*httptest.Server
	companies []Company
	intercept func(w http.ResponseWriter, r *http.Request, n int) bool
	mu        sync.Mutex
	reqs      []string
	agents    []string
}

// Start serves companies; intercept, when not nil, sees every request
// first (n from 1) and answers it itself when it returns true.
func Start(tb testing.TB, companies []Company, intercept func(w http.ResponseWriter, r *http.Request, n int) bool) *Server {
	s := &Server{companies: companies, intercept: intercept}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	tb.Cleanup(s.Close)
	return s
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.reqs = append(s.reqs, r.URL.Path)
	s.agents = append(s.agents, r.UserAgent())
	n := len(s.reqs)
	s.mu.Unlock()
	if !strings.Contains(r.UserAgent(), "@") {
		http.Error(w, "Your Request Originates from an Undeclared Automated Tool", http.StatusForbidden)
		return
	}
	if s.intercept != nil && s.intercept(w, r, n) {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Path == "/files/company_tickers.json" {
		w.Write(Tickers(s.companies))
		return
	}
	for _, c := range s.companies {
		if r.URL.Path == fmt.Sprintf("/submissions/CIK%010d.json", c.CIK) {
			w.Write(Submissions(c))
			return
		}
		for i, sh := range c.Shards {
			if r.URL.Path == "/submissions/"+shardName(c.CIK, i) {
				b, _ := json.Marshal(columns(sh))
				w.Write(b)
				return
			}
		}
	}
	http.NotFound(w, r)
}

// Requests returns the paths asked for, and the User-Agents that asked.
func (s *Server) Requests() (paths, agents []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.reqs...), append([]string(nil), s.agents...)
}
