package main

import (
	"bufio"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// process is trawl running as a child process.
type process struct {
	cmd  *exec.Cmd
	base string
	logs *syncBuffer
}

var addrRE = regexp.MustCompile(`addr=(127\.0\.0\.1:\d+)`)

func startProcess(t *testing.T, bin string, env map[string]string) *process {
	t.Helper()
	cmd := exec.Command(bin, "serve")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, logs: &syncBuffer{}}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(p.logs, line)
			if m := addrRE.FindStringSubmatch(line); m != nil && strings.Contains(line, "listening") {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
	}()
	select {
	case a := <-addr:
		p.base = "http://" + a
	case <-time.After(90 * time.Second):
		t.Fatalf("trawl did not start:\n%s", p.logs.String())
	}
	return p
}

// buildBinary builds trawl into a temporary folder.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "trawl")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// TestCrashResumes kills trawl with SIGKILL in the middle of a crawl and
// checks that a restart on the same data folder finishes the job with every
// page stored exactly once, fetching again only what was in flight.
func TestCrashResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	t.Parallel()
	bin := buildBinary(t)
	const pages = 60
	web := newSite(t, pages, false)
	rc := &receiver{}
	hook := httptest.NewServer(rc)
	t.Cleanup(hook.Close)
	env := testEnv(map[string]string{
		"TRAWL_DATA_DIR":  t.TempDir(),
		"TRAWL_ADDR":      "127.0.0.1:0",
		"TRAWL_LOG_LEVEL": "info",
	})

	first := startProcess(t, bin, env)
	in := &instance{t: t, base: first.base, key: env["TRAWL_API_KEY"], client: &http.Client{Timeout: 5 * time.Second}}
	var created jobRecord
	if code := in.do("POST", "/scrapers/crawler/jobs", fmt.Sprintf(`{"urls":[%q],"webhook":{"url":%q}}`, web.URL, hook.URL), &created); code != 200 {
		t.Fatalf("create: %d", code)
	}
	waitFor(t, 30*time.Second, "a third of the crawl", func() bool {
		var rec jobRecord
		in.do("GET", fmt.Sprintf("/scrapers/jobs/%d", created.ID), nil, &rec)
		return rec.DataRowsCount >= pages/3
	})
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.cmd.Wait()
	in.client.CloseIdleConnections()
	before := web.hitCounts()

	second := startProcess(t, bin, env)
	in.base = second.base
	rec := in.waitTerminal(created.ID, 60*time.Second)
	if rec.Status != "finished" || rec.DataRowsCount != pages+1 {
		t.Fatalf("after restart: %+v, want finished with %d rows\n%s", rec, pages+1, second.logs.String())
	}
	seen := map[string]bool{}
	for _, r := range in.allRows(created.ID) {
		u := r["url"].(string)
		if seen[u] {
			t.Fatalf("%s stored twice", u)
		}
		seen[u] = true
	}
	after := web.hitCounts()
	refetched := 0
	for path, n := range after {
		if path == "/robots.txt" {
			continue
		}
		if n > 2 {
			t.Errorf("%s fetched %d times", path, n)
		}
		refetched += n - 1
	}
	// Only pages in flight at the kill are fetched again: at most the
	// per-host concurrency (4).
	if refetched > 4 {
		t.Errorf("%d pages fetched again after the restart (before the kill: %d paths): want at most the 4 in flight", refetched, len(before))
	}
	waitFor(t, 15*time.Second, "the finished event", func() bool {
		return len(rc.forJob(created.ID)["scraper.job.finished"]) >= 1
	})
	if fin := rc.forJob(created.ID)["scraper.job.finished"][0].Body; fin["dataRowsCount"] != float64(pages+1) {
		t.Errorf("finished payload %v", fin)
	}
}
