package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"
)

// clientBundle is a real `trawl serve` child process and the binary to run
// the client commands with.
type clientBundle struct {
	bin string
	srv *process
	in  *instance // reads the server's state over HTTP
	key string
}

func setupClient(t *testing.T) *clientBundle {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	env := testEnv(map[string]string{
		"TRAWL_DATA_DIR":   t.TempDir(),
		"TRAWL_ADDR":       "127.0.0.1:0",
		"TRAWL_NO_BROWSER": "true",
	})
	srv := startProcess(t, bin, env)
	key := env["TRAWL_API_KEY"]
	in := &instance{t: t, base: srv.base, key: key, client: &http.Client{Timeout: 10 * time.Second}}
	return &clientBundle{bin: bin, srv: srv, in: in, key: key}
}

// command is the binary running a client command against the server (or
// url, when given).
func (b *clientBundle) command(t *testing.T, url string, args ...string) *exec.Cmd {
	t.Helper()
	if url == "" {
		url = b.srv.base
	}
	home := t.TempDir()
	cmd := exec.Command(b.bin, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"TRAWL_URL=" + url, "TRAWL_KEY=" + b.key}
	return cmd
}

// trawl runs a client command to its end and returns its output and exit
// status.
func (b *clientBundle) trawl(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := b.command(t, "", args...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("trawl %v: %v", args, err)
	}
	return stdout.String(), stderr.String(), cmd.ProcessState.ExitCode()
}

// TestClientRunWritesEveryFormat: `trawl run crawler` on a local site writes
// the job's rows as JSON lines, JSON, CSV and XLSX, chosen by --format or by
// the extension of --out, and they are the rows the API serves.
func TestClientRunWritesEveryFormat(t *testing.T) {
	t.Parallel()
	b := setupClient(t)
	web := newSite(t, 0, false)
	dir := t.TempDir()

	stdout, stderr, code := b.trawl(t, "", "run", "crawler", "--param", "urls="+web.URL, "--param", "outputFormat=text")
	if code != 0 {
		t.Fatalf("run: exit %d\n%s", code, stderr)
	}
	var jobs struct {
		Data []jobRecord `json:"data"`
	}
	b.in.do("GET", "/scrapers/jobs", nil, &jobs)
	if len(jobs.Data) != 1 || jobs.Data[0].Status != "finished" {
		t.Fatalf("jobs after run: %+v", jobs.Data)
	}
	id := jobs.Data[0].ID
	want := b.in.allRows(id)
	if len(want) < 3 {
		t.Fatalf("the crawl stored %d rows, want the site's pages", len(want))
	}
	var got []map[string]any
	for _, line := range strings.Split(strings.TrimSuffix(stdout, "\n"), "\n") {
		var row map[string]any
		if err := json.Unmarshal([]byte(line), &row); err != nil {
			t.Fatalf("stdout line %q is not JSON: %v", line, err)
		}
		got = append(got, row)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("JSON lines on stdout differ from the API's rows (-want +got):\n%s", diff)
	}

	// The other formats, for the same site, by extension and by --format.
	for _, tt := range []struct{ args []string }{
		{[]string{"--out", filepath.Join(dir, "rows.json")}},
		{[]string{"--out", filepath.Join(dir, "rows.csv")}},
		{[]string{"--out", filepath.Join(dir, "rows.xlsx")}},
		{[]string{"--out", filepath.Join(dir, "rows.txt"), "--format", "jsonl"}},
	} {
		args := append([]string{"run", "crawler", "--param", "urls=" + web.URL, "--param", "outputFormat=text"}, tt.args...)
		if _, stderr, code := b.trawl(t, "", args...); code != 0 {
			t.Fatalf("run %v: exit %d\n%s", tt.args, code, stderr)
		}
	}
	var fromJSON []map[string]any
	raw, err := os.ReadFile(filepath.Join(dir, "rows.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &fromJSON); err != nil {
		t.Fatalf("rows.json: %v", err)
	}
	if diff := cmp.Diff(urls(want), urls(fromJSON)); diff != "" {
		t.Errorf("rows.json pages (-want +got):\n%s", diff)
	}
	lines, err := os.ReadFile(filepath.Join(dir, "rows.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(lines), "\n"); n != len(want) {
		t.Errorf("rows.txt (--format jsonl) has %d lines, want %d", n, len(want))
	}
	f, err := os.Open(filepath.Join(dir, "rows.csv"))
	if err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatalf("rows.csv: %v", err)
	}
	if len(records) != len(want)+1 || records[0][0] != "url" {
		t.Fatalf("rows.csv: %d records, header %v; want a header and %d rows", len(records), records[0], len(want))
	}
	var csvURLs []string
	for _, r := range records[1:] {
		csvURLs = append(csvURLs, r[0])
	}
	slices.Sort(csvURLs)
	if diff := cmp.Diff(urls(want), csvURLs); diff != "" {
		t.Errorf("rows.csv pages (-want +got):\n%s", diff)
	}
	x, err := excelize.OpenFile(filepath.Join(dir, "rows.xlsx"))
	if err != nil {
		t.Fatalf("rows.xlsx: %v", err)
	}
	defer x.Close()
	sheet := x.GetSheetName(0)
	xrows, err := x.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if len(xrows) != len(want)+1 || xrows[0][0] != "url" {
		t.Fatalf("rows.xlsx: %d rows, header %v; want a header and %d rows", len(xrows), xrows[0], len(want))
	}

	// jobs get/list answer JSON when the output is not a terminal.
	stdout, _, _ = b.trawl(t, "", "jobs", "get", fmt.Sprint(id))
	var rec jobRecord
	if err := json.Unmarshal([]byte(stdout), &rec); err != nil || rec.ID != id || rec.Status != "finished" {
		t.Errorf("jobs get: %q (%v)", stdout, err)
	}
	// --detach returns the id; jobs wait follows it; jobs results prints
	// its rows as JSON lines.
	stdout, stderr, code = b.trawl(t, "", "run", "crawler", "--param", "urls="+web.URL, "--detach")
	if code != 0 {
		t.Fatalf("run --detach: exit %d: %s", code, stderr)
	}
	detached := strings.TrimSpace(stdout)
	if _, stderr, code := b.trawl(t, "", "jobs", "wait", detached); code != 0 {
		t.Errorf("jobs wait %s: exit %d: %s", detached, code, stderr)
	}
	stdout, _, _ = b.trawl(t, "", "jobs", "results", detached)
	if n := strings.Count(stdout, "\n"); n != len(want) {
		t.Errorf("jobs results: %d lines, want %d", n, len(want))
	}
	stdout, _, _ = b.trawl(t, "", "jobs", "export", fmt.Sprint(id), "--format", "csv")
	if !strings.HasPrefix(stdout, "url,") {
		t.Errorf("jobs export --format csv starts %q", stdout[:min(len(stdout), 40)])
	}
}

// urls lists the rows' pages, sorted: each job crawls in its own order.
func urls(rows []map[string]any) []string {
	var out []string
	for _, r := range rows {
		u, _ := r["url"].(string)
		out = append(out, u)
	}
	slices.Sort(out)
	return out
}

// TestClientErrorsAndLogin: bad input and a bad key fail with the server's
// message and a non-zero status; `trawl login` saves a 0600 file that later
// commands use without TRAWL_URL or TRAWL_KEY.
func TestClientErrorsAndLogin(t *testing.T) {
	t.Parallel()
	b := setupClient(t)

	_, stderr, code := b.trawl(t, "", "run", "crawler", "--param", "limit=many")
	if code == 0 || !strings.Contains(stderr, "--param limit") {
		t.Errorf("a non-integer limit: exit %d, stderr %q", code, stderr)
	}
	_, stderr, code = b.trawl(t, "", "run", "crawler")
	if code == 0 || !strings.Contains(stderr, "422") || !strings.Contains(stderr, "urls") {
		t.Errorf("no urls: exit %d, stderr %q; want the 422 naming urls", code, stderr)
	}
	_, stderr, code = b.trawl(t, "", "jobs", "list", "--key", "trawl_not_a_key")
	if code == 0 || !strings.Contains(stderr, "401") {
		t.Errorf("a wrong key: exit %d, stderr %q", code, stderr)
	}

	cfg := filepath.Join(t.TempDir(), "conf", "trawl.json")
	cmd := b.command(t, "", "login", "--url", b.srv.base, "--config", cfg)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	cmd.Stdin = strings.NewReader(b.key + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("login: %v\n%s", err, out)
	}
	st, err := os.Stat(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("config file mode %v, want 0600", st.Mode().Perm())
	}
	cmd = b.command(t, "", "jobs", "list", "--config", cfg)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("jobs list with the saved configuration: %v", err)
	}
	var page struct {
		Meta struct{ Total int64 } `json:"meta"`
	}
	if err := json.Unmarshal(out, &page); err != nil {
		t.Errorf("jobs list: %q: %v", out, err)
	}
}

// TestClientRunInterrupted: SIGINT during `trawl run` with no terminal to
// ask on stops the job; the command exits non-zero naming the reason.
func TestClientRunInterrupted(t *testing.T) {
	t.Parallel()
	b := setupClient(t)
	web := newSite(t, 20, true)
	t.Cleanup(web.open)
	cmd := b.command(t, "", "run", "crawler", "--param", "urls="+web.URL)
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	var id int64
	waitFor(t, 30*time.Second, "the job to start", func() bool {
		var jobs struct{ Data []jobRecord }
		b.in.do("GET", "/scrapers/jobs", nil, &jobs)
		if len(jobs.Data) == 1 && jobs.Data[0].Status == "in_progress" {
			id = jobs.Data[0].ID
			return true
		}
		return false
	})
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	web.open() // let the pages in flight finish, as a stop lets them
	err := cmd.Wait()
	if err == nil || cmd.ProcessState.ExitCode() == 0 {
		t.Fatalf("interrupted run exited 0\n%s", stderr.String())
	}
	if !strings.Contains(stderr.String(), fmt.Sprintf("job %d stopped: stopped", id)) {
		t.Errorf("stderr %q does not give the reason", stderr.String())
	}
	var rec jobRecord
	b.in.do("GET", fmt.Sprintf("/scrapers/jobs/%d", id), nil, &rec)
	if rec.Status != "stopped" {
		t.Errorf("job status %q after the interrupt, want stopped", rec.Status)
	}
	_, stderr2, code := b.trawl(t, "", "jobs", "wait", fmt.Sprint(id))
	if code == 0 || !strings.Contains(stderr2, "stopped") {
		t.Errorf("jobs wait on a stopped job: exit %d, stderr %q", code, stderr2)
	}
}
