package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/trawlhq/trawl/client"
)

// loginCmd saves a server and key for the other client commands.
type loginCmd struct {
	clientFlags
}

func (loginCmd) Help() string {
	return `Checks the key against the server (GET /account) and saves both to the client configuration file (permissions 0600), so that later commands need neither --url nor --key. Without --key the key is read from the standard input.

Example:
  trawl login --url https://trawl.example.com --key trawl_…
  echo "$KEY" | trawl login --url https://trawl.example.com`
}

func (c *loginCmd) Run(e *env) error {
	cfg, err := c.resolved()
	if err != nil {
		return err
	}
	if c.Key == "" {
		if isTerminal(e.stdin) {
			fmt.Fprintf(e.stderr, "API key for %s: ", cfg.URL)
		}
		key, err := readLine(e.stdin)
		if err != nil {
			return fmt.Errorf("read the API key: %w", err)
		}
		cfg.Key = strings.TrimSpace(key)
	}
	if cfg.Key == "" {
		return errors.New("no API key: pass --key or type it")
	}
	cl, err := newClient(cfg)
	if err != nil {
		return err
	}
	acct, err := cl.Account(e.ctx)
	if err != nil {
		return fmt.Errorf("check the key with %s: %w", cfg.URL, err)
	}
	path, err := c.save(cfg)
	if err != nil {
		return fmt.Errorf("save the configuration: %w", err)
	}
	fmt.Fprintf(e.stdout, "Logged in to %s as account %d (%s); saved to %s\n", cfg.URL, acct.ID, acct.Name, path)
	return nil
}

// outputFlags choose between a table for people and JSON for programs.
type outputFlags struct {
	JSON bool `name:"json" help:"Print JSON (the default when the output is not a terminal)."`
}

func (o outputFlags) wantJSON(e *env) bool { return o.JSON || !isTerminal(e.stdout) }

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// scrapersCmd lists the scrapers and their parameters.
type scrapersCmd struct {
	clientFlags
	outputFlags
}

func (scrapersCmd) Help() string {
	return `Lists the server's scrapers with their parameters (* = required) and row columns.

Example:
  trawl scrapers
  trawl scrapers --json | jq '.[].slug'`
}

func (c *scrapersCmd) Run(e *env) error {
	cl, err := c.client()
	if err != nil {
		return err
	}
	list, err := cl.Scrapers(e.ctx)
	if err != nil {
		return err
	}
	if c.wantJSON(e) {
		return printJSON(e.stdout, list)
	}
	for i, s := range list {
		if i > 0 {
			fmt.Fprintln(e.stdout)
		}
		fmt.Fprintf(e.stdout, "%s  %s\n", s.Slug, s.Name)
		if s.Description != "" {
			fmt.Fprintf(e.stdout, "  %s\n", s.Description)
		}
		tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
		for _, p := range schemaParams(s.Parameters) {
			name := p.name
			if p.required {
				name += "*"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", name, p.typ, oneLine(p.doc, 90))
		}
		tw.Flush()
		if len(s.Columns) > 0 {
			fmt.Fprintf(e.stdout, "  columns: %s\n", strings.Join(s.Columns, ", "))
		}
	}
	return nil
}

// param is one property of a scraper's create body schema.
type param struct {
	name, typ, itemTyp, doc string
	required                bool
}

// schemaParams lists the top-level properties of a JSON Schema, required
// ones first, then by name.
func schemaParams(schema map[string]any) []param {
	props, _ := schema["properties"].(map[string]any)
	req := map[string]bool{}
	if list, ok := schema["required"].([]any); ok {
		for _, r := range list {
			if s, ok := r.(string); ok {
				req[s] = true
			}
		}
	}
	var out []param
	for name, raw := range props {
		p := param{name: name, required: req[name]}
		if m, ok := raw.(map[string]any); ok {
			p.typ = schemaType(m)
			p.doc, _ = m["description"].(string)
			if items, ok := m["items"].(map[string]any); ok {
				p.itemTyp = schemaType(items)
			}
			if p.typ == "array" && p.itemTyp != "" {
				p.typ = "[]" + p.itemTyp
			}
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].required != out[j].required {
			return out[i].required
		}
		return out[i].name < out[j].name
	})
	return out
}

// schemaType is a schema's type, or its first non-null type when it lists
// several.
func schemaType(m map[string]any) string {
	switch t := m["type"].(type) {
	case string:
		return t
	case []any:
		for _, v := range t {
			if s, ok := v.(string); ok && s != "null" {
				return s
			}
		}
	}
	if _, ok := m["enum"]; ok {
		return "string"
	}
	return ""
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len([]rune(s)) > n {
		s = string([]rune(s)[:n-1]) + "…"
	}
	return s
}

// jobsCmd groups the commands on existing jobs.
type jobsCmd struct {
	List    jobsListCmd    `cmd:"" help:"List the account's jobs, newest first."`
	Get     jobsGetCmd     `cmd:"" help:"Show a job."`
	Wait    jobsWaitCmd    `cmd:"" help:"Wait for a job to end; exit status 0 when it finished."`
	Stop    jobsStopCmd    `cmd:"" help:"Stop a job: no new task starts, rows are kept."`
	Results jobsResultsCmd `cmd:"" help:"Print a job's rows as JSON lines."`
	Export  jobsExportCmd  `cmd:"" help:"Download a job's rows as JSON, CSV or XLSX."`
}

type jobsListCmd struct {
	clientFlags
	outputFlags
	Status string `name:"status" enum:",pending,in_progress,finished,stopped,failed" default:"" help:"Only jobs with this status."`
	Page   int    `name:"page" default:"1" help:"The page, from 1."`
	Limit  int    `name:"limit" default:"20" help:"Jobs per page (1..100)."`
}

func (jobsListCmd) Help() string {
	return `Example:
  trawl jobs list
  trawl jobs list --status in_progress --limit 50 --json`
}

func (c *jobsListCmd) Run(e *env) error {
	cl, err := c.client()
	if err != nil {
		return err
	}
	page, err := cl.Jobs(e.ctx, c.Status, c.Page, c.Limit)
	if err != nil {
		return err
	}
	if c.wantJSON(e) {
		return printJSON(e.stdout, page)
	}
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSCRAPER\tSTATUS\tROWS\tCREDITS\tCREATED\tREASON")
	for _, j := range page.Data {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%d\t%s\t%s\n", j.ID, j.Scraper.Slug, j.Status, j.DataRowsCount, j.CreditsSpent,
			shortTime(j.CreatedAt), oneLine(deref(j.StopReason), 60))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if page.Meta.LastPage > 1 {
		fmt.Fprintf(e.stdout, "page %d of %d (%d jobs)\n", page.Meta.CurrentPage, page.Meta.LastPage, page.Meta.Total)
	}
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// shortTime shows an RFC 3339 time in the local zone, to the second.
func shortTime(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

// jobArg is the job id argument of the jobs commands.
type jobArg struct {
	ID int64 `arg:"" name:"id" help:"The job's id."`
}

type jobsGetCmd struct {
	clientFlags
	outputFlags
	jobArg
}

func (jobsGetCmd) Help() string {
	return `Example:
  trawl jobs get 42
  trawl jobs get 42 --json | jq .status`
}

func (c *jobsGetCmd) Run(e *env) error {
	cl, err := c.client()
	if err != nil {
		return err
	}
	j, err := cl.Job(e.ctx, c.ID)
	if err != nil {
		return err
	}
	return c.print(e, j)
}

func (o outputFlags) print(e *env, j *client.Job) error {
	if o.wantJSON(e) {
		return printJSON(e.stdout, j)
	}
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "%s\t%s\n", k, v) }
	row("id", strconv.FormatInt(j.ID, 10))
	row("scraper", j.Scraper.Slug)
	row("status", j.Status)
	if j.StopReason != nil {
		row("stop reason", *j.StopReason)
	}
	row("rows", strconv.FormatInt(j.DataRowsCount, 10))
	row("credits", strconv.FormatInt(j.CreditsSpent, 10))
	row("created", shortTime(j.CreatedAt))
	if j.StartedAt != nil {
		row("started", shortTime(*j.StartedAt))
	}
	if j.FinishedAt != nil {
		row("finished", shortTime(*j.FinishedAt))
	}
	row("input", string(j.Input))
	if j.Data != nil {
		row("json", j.Data.JSON)
		row("csv", j.Data.CSV)
		row("xlsx", j.Data.XLSX)
	}
	return tw.Flush()
}

type jobsWaitCmd struct {
	clientFlags
	jobArg
	Quiet bool `name:"quiet" short:"q" help:"No progress line."`
}

func (jobsWaitCmd) Help() string {
	return `Shows a progress line on a terminal. The exit status is 0 when the job finished, 1 when it failed or was stopped (the reason is printed).

Example:
  trawl jobs wait 42 && trawl jobs export 42 --out rows.csv`
}

func (c *jobsWaitCmd) Run(e *env) error {
	cl, err := c.client()
	if err != nil {
		return err
	}
	j, err := cl.Job(e.ctx, c.ID)
	if err != nil {
		return err
	}
	w := &waiter{e: e, cl: cl, quiet: c.Quiet}
	j, err = w.wait(e.ctx, j)
	if err != nil {
		return err
	}
	return endStatus(j)
}

type jobsStopCmd struct {
	clientFlags
	outputFlags
	jobArg
}

func (jobsStopCmd) Help() string {
	return `Tasks in flight finish and their rows are kept; stopping a job that has ended changes nothing.

Example:
  trawl jobs stop 42`
}

func (c *jobsStopCmd) Run(e *env) error {
	cl, err := c.client()
	if err != nil {
		return err
	}
	j, err := cl.StopJob(e.ctx, c.ID)
	if err != nil {
		return err
	}
	return c.print(e, j)
}

type jobsResultsCmd struct {
	clientFlags
	jobArg
	Page  int `name:"page" help:"Print only this page of the results, as the API answers it (JSON)."`
	Limit int `name:"limit" default:"100" help:"Rows per page with --page (1..100)."`
}

func (jobsResultsCmd) Help() string {
	return `Prints every row stored so far (the job may still be running), one JSON object a line.

Example:
  trawl jobs results 42 | jq -r .url
  trawl jobs results 42 --page 2 --limit 50`
}

func (c *jobsResultsCmd) Run(e *env) error {
	cl, err := c.client()
	if err != nil {
		return err
	}
	if c.Page > 0 {
		p, err := cl.Results(e.ctx, c.ID, c.Page, c.Limit)
		if err != nil {
			return err
		}
		return printJSON(e.stdout, p)
	}
	return writeRows(e, cl, c.ID, "jsonl", "")
}

type jobsExportCmd struct {
	clientFlags
	jobArg
	outFlags
}

func (jobsExportCmd) Help() string {
	return `The file is the server's export (the same as the job's download links); jsonl is built from the results pages. The format is --format, else the extension of --out.

Example:
  trawl jobs export 42 --out rows.xlsx
  trawl jobs export 42 --format csv > rows.csv`
}

func (c *jobsExportCmd) Run(e *env) error {
	cl, err := c.client()
	if err != nil {
		return err
	}
	format, err := c.format()
	if err != nil {
		return err
	}
	return writeRows(e, cl, c.ID, format, c.Out)
}

// outFlags choose where and how rows are written.
type outFlags struct {
	Out    string `name:"out" short:"o" type:"path" help:"Write the rows to this file instead of the standard output." placeholder:"FILE"`
	Format string `name:"format" short:"f" enum:"auto,jsonl,json,csv,xlsx" default:"auto" help:"Rows as JSON lines, a JSON array, CSV or XLSX (${enum}; auto: by the extension of --out, else jsonl)."`
}

// format resolves auto by the output file's extension.
func (o outFlags) format() (string, error) {
	if o.Format != "auto" {
		return o.Format, nil
	}
	if o.Out == "" {
		return "jsonl", nil
	}
	switch ext := strings.ToLower(strings.TrimPrefix(filepath.Ext(o.Out), ".")); ext {
	case "jsonl", "ndjson":
		return "jsonl", nil
	case "json", "csv", "xlsx":
		return ext, nil
	default:
		return "", fmt.Errorf("--out %s: cannot tell the format from the extension %q: use --format (jsonl, json, csv, xlsx)", o.Out, ext)
	}
}

// writeRows writes the job's rows in format to the file out, or to the
// standard output when out is empty. jsonl is built from the results
// pages; the other formats are the server's exports, copied unchanged.
func writeRows(e *env, cl *client.Client, id int64, format, out string) (err error) {
	var w io.Writer = e.stdout
	if out == "" && format == "xlsx" && isTerminal(e.stdout) {
		return errors.New("XLSX is binary: write it to a file with --out, or redirect the output")
	}
	if out != "" {
		f, err := os.CreateTemp(filepath.Dir(out), ".trawl-*"+filepath.Ext(out))
		if err != nil {
			return err
		}
		defer func() {
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err == nil {
				err = os.Rename(f.Name(), out)
			}
			if err != nil {
				os.Remove(f.Name())
			}
		}()
		w = f
	}
	if format == "jsonl" {
		var buf bytes.Buffer
		return cl.EachRow(e.ctx, id, func(r client.Row) error {
			buf.Reset()
			if err := json.Compact(&buf, r.Data); err != nil {
				return fmt.Errorf("row %s: %w", r.ID, err)
			}
			buf.WriteByte('\n')
			_, err := w.Write(buf.Bytes())
			return err
		})
	}
	if !slices.Contains([]string{"json", "csv", "xlsx"}, format) {
		return fmt.Errorf("unknown format %q", format)
	}
	body, err := cl.Export(e.ctx, id, format)
	if err != nil {
		return err
	}
	defer body.Close()
	_, err = io.Copy(w, body)
	return err
}
