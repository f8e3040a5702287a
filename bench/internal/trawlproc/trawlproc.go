// Package trawlproc runs the real trawl binary for the black-box benchmarks:
// it builds it, starts `trawl serve` on a fresh SQLite folder or PostgreSQL
// database, and calls its API.
package trawlproc

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// APIKey is the key the benchmarks' trawl accepts.
const APIKey = "trawl_bench_Zq8vN3pLw5Kx2RtY7mHc4Jf9Bd6Gs1Ae"

// Trawl is a running trawl serve.
type Trawl struct {
	Base        string // http://127.0.0.1:port
	Backend     string // "SQLite" or "PostgreSQL"
	Dir         string // its data folder (the SQLite database is trawl.db in it)
	DatabaseURL string // its PostgreSQL database, "" on SQLite
	cmd         *exec.Cmd
	cleanup     []func()
}

// Options says what to start.
type Options struct {
	// Src is the source tree to build ./cmd/trawl from; default the current
	// folder (the module's root).
	Src string
	// DatabaseURL, when set, names a PostgreSQL server: trawl runs on a fresh
	// database of it, dropped by Stop. Default: SQLite in a fresh folder.
	DatabaseURL string
	// Env is added to trawl's environment (settings other than the defaults;
	// the log level must stay info, where trawl says where it listens).
	Env []string
}

// Start builds trawl and starts it with the default settings but o.Env.
func Start(ctx context.Context, o Options) (_ *Trawl, err error) {
	dir, err := os.MkdirTemp("", "trawl-bench-*")
	if err != nil {
		return nil, err
	}
	t := &Trawl{Dir: dir, Backend: "SQLite"}
	t.cleanup = append(t.cleanup, func() { _ = os.RemoveAll(dir) })
	defer func() {
		if err != nil {
			t.Stop()
		}
	}()
	bin := filepath.Join(dir, "trawl")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/trawl")
	build.Dir = o.Src
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build trawl: %v\n%s", err, out)
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "TRAWL_ADDR=127.0.0.1:0", "TRAWL_DATA_DIR=" + dir,
		"TRAWL_API_KEY=" + APIKey, "TRAWL_ALLOW_PRIVATE_NETWORKS=true", "TRAWL_LOG_LEVEL=info"}
	if o.DatabaseURL != "" {
		u, drop, err := FreshDatabase(ctx, o.DatabaseURL, "trawl_bench")
		if err != nil {
			return nil, err
		}
		t.cleanup = append(t.cleanup, drop)
		env = append(env, "TRAWL_DATABASE_URL="+u)
		t.Backend, t.DatabaseURL = "PostgreSQL", u
	}
	t.cmd = exec.Command(bin, "serve")
	t.cmd.Env = append(env, o.Env...)
	stderr, err := t.cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := t.cmd.Start(); err != nil {
		return nil, err
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
		t.Base = "http://" + a
		return t, nil
	case <-ctx.Done():
		return nil, errors.New("trawl did not start")
	case <-time.After(2 * time.Minute):
		return nil, errors.New("trawl did not start")
	}
}

var listening = regexp.MustCompile(`trawl is listening.*? addr=(\S+)`)

// PID is the process id of trawl serve.
func (t *Trawl) PID() int { return t.cmd.Process.Pid }

// Stop stops trawl (SIGINT, then waits) and removes what Start made.
func (t *Trawl) Stop() {
	if t.cmd != nil && t.cmd.Process != nil {
		_ = t.cmd.Process.Signal(os.Interrupt)
		_ = t.cmd.Wait()
	}
	for i := len(t.cleanup) - 1; i >= 0; i-- {
		t.cleanup[i]()
	}
}

// Call makes an API call with the benchmark's key and decodes a 200 answer
// into out (when not nil).
func Call(ctx context.Context, c *http.Client, method, url, body string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("x-api-key", APIKey)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return fmt.Errorf("%s %s: %d %s", method, url, resp.StatusCode, data)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(data, out)
}

// FreshDatabase creates an empty database named after prefix on the
// PostgreSQL server at base and returns its URL and a func that drops it.
func FreshDatabase(ctx context.Context, base, prefix string) (string, func(), error) {
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return "", nil, err
	}
	name := fmt.Sprintf("%s_%d", prefix, time.Now().UnixNano())
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

// Site serves a website on which a crawl finds n+1 pages: a home page
// linking to n small pages, each linking home.
func Site(n int) http.Handler {
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
			fmt.Fprintf(w, `<html><head><title>%s</title></head><body><h1>%s</h1><p>Some text about it.</p><a href="/">home</a></body></html>`,
				r.URL.Path, r.URL.Path)
		default:
			http.NotFound(w, r)
		}
	})
}
