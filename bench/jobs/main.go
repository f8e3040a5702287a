// Command jobs measures trawl's job throughput end to end: it builds and
// starts the real trawl binary (on SQLite, or on PostgreSQL with
// -database-url), serves local websites on 127.0.0.1, submits crawler jobs
// over the HTTP API and times them until every job has finished, reporting
// pages (tasks) per second and jobs per second.
//
//	go run ./bench/jobs [-sites 40] [-pages 50] [-database-url postgres://…]
package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench/jobs:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench/jobs", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sites := fs.Int("sites", 40, "websites, one crawler job each")
	pages := fs.Int("pages", 50, "pages linked from each site's home page (a job stores pages+1 rows)")
	databaseURL := fs.String("database-url", "", "a PostgreSQL server to run on (a fresh database is created and dropped); default: SQLite")
	timeout := fs.Duration("timeout", 10*time.Minute, "longest wait for the jobs")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *sites < 1 || *pages < 1 {
		return errors.New("-sites and -pages must be at least 1")
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	dir, err := os.MkdirTemp("", "trawl-bench-jobs-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "trawl")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/trawl").CombinedOutput(); err != nil {
		return fmt.Errorf("build trawl: %v\n%s", err, out)
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "TRAWL_ADDR=127.0.0.1:0", "TRAWL_DATA_DIR=" + dir,
		"TRAWL_API_KEY=trawl_bench_Zq8vN3pLw5Kx2RtY7mHc4Jf9Bd6Gs1Ae", "TRAWL_ALLOW_PRIVATE_NETWORKS=true", "TRAWL_LOG_LEVEL=warn"}
	backend := "SQLite"
	if *databaseURL != "" {
		url, drop, err := freshDatabase(ctx, *databaseURL)
		if err != nil {
			return err
		}
		defer drop()
		env = append(env, "TRAWL_DATABASE_URL="+url)
		backend = "PostgreSQL"
	}

	var servers []*httptest.Server
	for range *sites {
		servers = append(servers, httptest.NewServer(site(*pages)))
	}
	defer func() {
		for _, s := range servers {
			s.Close()
		}
	}()

	base, stop, err := startTrawl(ctx, bin, env)
	if err != nil {
		return err
	}
	defer stop()

	client := &http.Client{Timeout: 30 * time.Second}
	start := time.Now()
	var ids []int64
	for _, s := range servers {
		var rec struct{ ID int64 }
		body := fmt.Sprintf(`{"urls":[%q]}`, s.URL)
		if err := call(ctx, client, "POST", base+"/scrapers/crawler/jobs", body, &rec); err != nil {
			return err
		}
		ids = append(ids, rec.ID)
	}
	submitted := time.Since(start)
	var rows int64
	for _, id := range ids {
		for {
			var rec struct {
				Status        string
				DataRowsCount int64
			}
			if err := call(ctx, client, "GET", fmt.Sprintf("%s/scrapers/jobs/%d", base, id), "", &rec); err != nil {
				return err
			}
			if rec.Status == "finished" || rec.Status == "stopped" || rec.Status == "failed" {
				rows += rec.DataRowsCount
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("job %d did not finish: %w", id, ctx.Err())
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	elapsed := time.Since(start)
	want := int64(*sites * (*pages + 1))
	if rows != want {
		return fmt.Errorf("stored %d rows, want %d", rows, want)
	}
	fmt.Fprintf(stdout, "backend %s, %s, %d CPUs\n", backend, runtime.Version(), runtime.NumCPU())
	fmt.Fprintf(stdout, "%d jobs × %d pages = %d pages (rows), submitted in %v, all finished in %v\n",
		*sites, *pages+1, rows, submitted.Round(time.Millisecond), elapsed.Round(time.Millisecond))
	fmt.Fprintf(stdout, "| backend | jobs | pages | seconds | pages/s | jobs/s |\n|---|---|---|---|---|---|\n")
	fmt.Fprintf(stdout, "| %s | %d | %d | %.1f | %.0f | %.2f |\n", backend, *sites, rows, elapsed.Seconds(),
		float64(rows)/elapsed.Seconds(), float64(*sites)/elapsed.Seconds())
	return nil
}

// site serves a home page linking to n small pages.
func site(n int) http.Handler {
	var home bytes.Buffer
	home.WriteString("<html><head><title>Home</title></head><body><ul>")
	for i := range n {
		fmt.Fprintf(&home, `<li><a href="/p/%d">Page %d</a></li>`, i, i)
	}
	home.WriteString("</ul></body></html>")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		switch {
		case r.URL.Path == "/":
			_, _ = w.Write(home.Bytes())
		case strings.HasPrefix(r.URL.Path, "/p/"):
			fmt.Fprintf(w, `<html><head><title>%s</title></head><body><h1>%s</h1><p>Some text about it.</p><a href="/">home</a></body></html>`, r.URL.Path, r.URL.Path)
		default:
			http.NotFound(w, r)
		}
	})
}

var listening = regexp.MustCompile(`trawl is listening.*? addr=(\S+)`)

// startTrawl runs the binary and waits for its address.
func startTrawl(ctx context.Context, bin string, env []string) (string, func(), error) {
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(env, "TRAWL_LOG_LEVEL=info")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
	}()
	select {
	case a := <-addr:
		return "http://" + a, stop, nil
	case <-ctx.Done():
		stop()
		return "", nil, errors.New("trawl did not start")
	case <-time.After(2 * time.Minute):
		stop()
		return "", nil, errors.New("trawl did not start")
	}
}

func call(ctx context.Context, c *http.Client, method, url, body string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("x-api-key", "trawl_bench_Zq8vN3pLw5Kx2RtY7mHc4Jf9Bd6Gs1Ae")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return fmt.Errorf("%s %s: %d %s", method, url, resp.StatusCode, data)
	}
	return json.Unmarshal(data, out)
}

// freshDatabase creates an empty database on the PostgreSQL server at base
// and returns its URL and a func that drops it.
func freshDatabase(ctx context.Context, base string) (string, func(), error) {
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return "", nil, err
	}
	name := fmt.Sprintf("trawl_bench_jobs_%d", time.Now().UnixNano())
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		_ = admin.Close()
		return "", nil, fmt.Errorf("create bench database: %w", err)
	}
	u, err := url.Parse(base)
	if err != nil {
		_ = admin.Close()
		return "", nil, err
	}
	u.Path = "/" + name
	return u.String(), func() {
		_, _ = admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		_ = admin.Close()
	}, nil
}
