package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/trawlhq/trawl/client"
)

// runJobCmd creates a job, follows it and writes its rows.
type runJobCmd struct {
	clientFlags
	outFlags
	Scraper     string   `arg:"" help:"The scraper's slug (see 'trawl scrapers')."`
	Stdin       string   `arg:"" optional:"" enum:",-" default:"" help:"'-' reads the create body (JSON) from the standard input."`
	Param       []string `name:"param" short:"p" sep:"none" placeholder:"KEY=VALUE" help:"A parameter of the create body; repeat it for more, or for more items of a list. VALUE is typed by the scraper's schema; JSON works for any."`
	Body        string   `name:"body" short:"b" placeholder:"FILE" help:"The create body (JSON) from a file, '-' for the standard input; --param values are set on top of it."`
	OnInterrupt string   `name:"on-interrupt" enum:"ask,stop,leave" default:"ask" help:"What Ctrl-C does to the job: ask (on a terminal; otherwise stop), stop, or leave it running."`
	Detach      bool     `name:"detach" short:"d" help:"Print the new job's id and return at once."`
	Quiet       bool     `name:"quiet" short:"q" help:"No progress line."`
}

func (runJobCmd) Help() string {
	return `Creates the job, shows a progress line on a terminal (rows, credits, elapsed time; a bar when the job has a limit), and when it ends writes its rows to the standard output or --out, as JSON lines, JSON, CSV or XLSX (--format, or the extension of --out). Ctrl-C asks whether to stop the job or leave it running. The exit status is 0 when the job finished, 1 when it failed or was stopped, with the reason on the standard error.

Example:
  trawl run crawler --param urls=https://example.com --param limit=50 --out pages.csv
  trawl run crawler --body crawl.json --format json > pages.json
  echo '{"urls":["https://example.com"]}' | trawl run crawler - | jq .url`
}

func (c *runJobCmd) Run(e *env) error {
	cl, err := c.client()
	if err != nil {
		return err
	}
	format, err := c.format()
	if err != nil {
		return err
	}
	if c.Out == "" && format == "xlsx" && isTerminal(e.stdout) && !c.Detach {
		return errors.New("XLSX is binary: write it to a file with --out, or redirect the output")
	}
	body, err := c.createBody(e, cl)
	if err != nil {
		return err
	}
	j, err := cl.CreateJob(e.ctx, c.Scraper, body)
	if err != nil {
		return err
	}
	if c.Detach {
		fmt.Fprintln(e.stdout, j.ID)
		return nil
	}
	w := &waiter{e: e, cl: cl, quiet: c.Quiet}
	j, err = w.wait(e.ctx, j)
	if errors.Is(err, context.Canceled) && e.ctx.Err() != nil {
		j, err = c.interrupted(e, cl, w, j)
	}
	if err != nil {
		return err
	}
	// Rows are written whatever the ending: a stopped or failed job's rows
	// are still worth having.
	we := e
	if e.ctx.Err() != nil {
		// Interrupted, then stopped: the rows stored until then are still
		// wanted.
		we = &env{ctx: context.WithoutCancel(e.ctx), stdout: e.stdout, stderr: e.stderr, stdin: e.stdin}
	}
	if err := writeRows(we, cl, j.ID, format, c.Out); err != nil {
		return fmt.Errorf("write the rows of job %d: %w", j.ID, err)
	}
	return endStatus(j)
}

// interrupted handles Ctrl-C during the wait: stop the job (and wait for
// it to end) or leave it running.
func (c *runJobCmd) interrupted(e *env, cl *client.Client, w *waiter, j *client.Job) (*client.Job, error) {
	w.clear()
	choice := c.OnInterrupt
	if choice == "ask" {
		choice = "stop"
		if isTerminal(e.stdin) && isTerminal(e.stderr) {
			fmt.Fprintf(e.stderr, "Stop job %d on the server? [y/N] (no leaves it running) ", j.ID)
			answer, _ := readLine(e.stdin)
			if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
				choice = "leave"
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(e.ctx), 2*time.Minute)
	defer cancel()
	if choice == "leave" {
		fmt.Fprintf(e.stderr, "Job %d keeps running: 'trawl jobs wait %d' follows it, 'trawl jobs export %d' gets its rows.\n", j.ID, j.ID, j.ID)
		return nil, fmt.Errorf("interrupted; job %d left running", j.ID)
	}
	fmt.Fprintf(e.stderr, "Stopping job %d…\n", j.ID)
	stopped, err := cl.StopJob(ctx, j.ID)
	if err != nil {
		return nil, fmt.Errorf("stop job %d: %w", j.ID, err)
	}
	return w.wait(ctx, stopped)
}

// createBody builds the create body from --body (or stdin) and --param.
func (c *runJobCmd) createBody(e *env, cl *client.Client) (json.RawMessage, error) {
	body := map[string]any{}
	src := c.Body
	if c.Stdin == "-" {
		if src != "" && src != "-" {
			return nil, errors.New("give the body either with --body or as '-', not both")
		}
		src = "-"
	}
	if src != "" {
		var raw []byte
		var err error
		if src == "-" {
			raw, err = io.ReadAll(e.stdin)
		} else {
			raw, err = os.ReadFile(src)
		}
		if err != nil {
			return nil, fmt.Errorf("read the body: %w", err)
		}
		if err := json.Unmarshal(raw, &body); err != nil {
			return nil, fmt.Errorf("the body is not a JSON object: %w", err)
		}
		if body == nil {
			body = map[string]any{}
		}
	}
	if len(c.Param) == 0 {
		return json.Marshal(body)
	}
	scrapers, err := cl.Scrapers(e.ctx)
	if err != nil {
		return nil, fmt.Errorf("read the scrapers' parameters: %w", err)
	}
	var schema map[string]any
	var slugs []string
	for _, s := range scrapers {
		slugs = append(slugs, s.Slug)
		if s.Slug == c.Scraper {
			schema = s.Parameters
		}
	}
	if schema == nil {
		return nil, fmt.Errorf("unknown scraper %q; the server runs: %s", c.Scraper, strings.Join(slugs, ", "))
	}
	types := map[string]param{}
	for _, p := range schemaParams(schema) {
		types[p.name] = p
	}
	set := map[string]bool{} // keys set by --param, whose repeats append
	for _, kv := range c.Param {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--param %q: want KEY=VALUE", kv)
		}
		p := types[k]
		if strings.HasPrefix(p.typ, "[]") || p.typ == "array" {
			if !set[k] {
				body[k] = []any{}
			}
			var list []any
			if strings.HasPrefix(strings.TrimSpace(v), "[") && json.Unmarshal([]byte(v), &list) == nil {
				body[k] = append(body[k].([]any), list...) // a whole JSON list at once
			} else {
				item, err := typed(k, p.itemTyp, v)
				if err != nil {
					return nil, err
				}
				body[k] = append(body[k].([]any), item)
			}
		} else {
			val, err := typed(k, p.typ, v)
			if err != nil {
				return nil, err
			}
			body[k] = val
		}
		set[k] = true
	}
	return json.Marshal(body)
}

// typed reads a --param value as the schema's type says: JSON for
// objects, lists and unknown keys (falling back to the text), numbers and
// booleans parsed, strings as given.
func typed(key, typ, v string) (any, error) {
	switch typ {
	case "string":
		return v, nil
	case "integer":
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("--param %s: %q is not an integer", key, v)
		}
		return n, nil
	case "number":
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, fmt.Errorf("--param %s: %q is not a number", key, v)
		}
		return n, nil
	case "boolean":
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, fmt.Errorf("--param %s: %q is not true or false", key, v)
		}
		return b, nil
	}
	var x any
	if err := json.Unmarshal([]byte(v), &x); err == nil {
		return x, nil
	}
	if typ == "object" {
		return nil, fmt.Errorf("--param %s: %q is not a JSON object", key, v)
	}
	return v, nil
}

// endStatus is nil for a finished job and an error naming the reason
// otherwise.
func endStatus(j *client.Job) error {
	if j.Status == "finished" {
		return nil
	}
	reason := deref(j.StopReason)
	if reason == "" {
		reason = "no reason given"
	}
	return fmt.Errorf("job %d %s: %s", j.ID, j.Status, reason)
}
