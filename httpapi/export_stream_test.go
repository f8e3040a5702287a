package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/export"
)

// gatedRows serves rows from memory. On the walk that writes (the first for
// JSON, the second for CSV and XLSX, which learn the columns first) it can
// wait after gateAt rows until release is closed, or fail after failAt
// rows.
type gatedRows struct {
	rows      []string
	writeWalk int32
	gateAt    int // 0 = never wait
	failAt    int // 0 = never fail
	release   chan struct{}
	walks     atomic.Int32
}

func (g *gatedRows) EachRow(ctx context.Context, jobID, upTo int64, fn func(*trawl.Row) error) error {
	writing := g.walks.Add(1) == g.writeWalk
	for i, r := range g.rows[:upTo] {
		if writing && g.gateAt > 0 && i == g.gateAt {
			select {
			case <-g.release:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if writing && g.failAt > 0 && i == g.failAt {
			return errRowsBroke
		}
		if err := fn(&trawl.Row{JobID: jobID, Seq: int64(i + 1), Data: json.RawMessage(r)}); err != nil {
			return err
		}
	}
	return nil
}

// streamRows are n rows of about 1 KB of text that compresses poorly, so
// that any writer has sent bytes on well before the last row.
func streamRows(n int) []string {
	rows := make([]string, n)
	for i := range rows {
		var b strings.Builder
		for j := range 60 {
			b.WriteString(strconv.FormatUint(uint64(i*61+j)*2654435761%1000000007, 36))
		}
		rows[i] = fmt.Sprintf(`{"n":%d,"text":%q}`, i, b.String())
	}
	return rows
}

// serveGated starts an API whose export rows come from g, over a job of
// account 1 with g's rows, and returns the server and the job's download
// path for format f.
func serveGated(t *testing.T, g *gatedRows, f export.Format) (*httptest.Server, string) {
	t.Helper()
	b := setupExports(t)
	job := b.addJob(t, 1, trawl.StatusFinished, g.rows, 0)
	g.writeWalk = 2
	if f == export.FormatJSON {
		g.writeWalk = 1
	}
	srv := httptest.NewServer(newServer(Config{
		Jobs: &fakeJobs{}, Store: b.db,
		Logger:  slog.New(slog.DiscardHandler),
		Exports: &Exports{Tokens: b.signer, Rows: g},
	}).handler)
	t.Cleanup(srv.Close)
	return srv, fmt.Sprintf("/scrapers/jobs/%d/results.%s", job.ID, f)
}

// TestExportStreams: the client receives the start of a download while the
// server is still reading rows, in every format; held back, the response
// would never start while the walk waits for the client.
func TestExportStreams(t *testing.T) {
	t.Parallel()
	for _, f := range export.Formats() {
		t.Run(string(f), func(t *testing.T) {
			t.Parallel()
			g := &gatedRows{rows: streamRows(3000), gateAt: 2000, release: make(chan struct{})}
			srv, target := serveGated(t, g, f)
			// The deadline only ends a hang: a server that holds the
			// download back never answers while the walk waits.
			ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+target, nil)
			req.Header.Set("x-api-key", key1)
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatalf("no response while the server waits in the middle of the rows: %v", err)
			}
			defer resp.Body.Close()
			first := make([]byte, 1)
			if _, err := io.ReadFull(resp.Body, first); err != nil {
				t.Fatalf("no body while the server waits in the middle of the rows: %v", err)
			}
			close(g.release)
			rest, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			// The whole download, every row, once the walk goes on.
			want := len(g.rows) + 1 // the header
			if f == export.FormatJSON {
				want = len(g.rows)
			}
			if got := len(readTable(t, f, append(first, rest...))); got != want {
				t.Errorf("%d lines read back, want %d", got, want)
			}
		})
	}
}

// TestExportCutInSecondWalk: CSV and XLSX start sending during their second
// walk of the rows, so a failure there cuts the transfer instead of ending
// a file that looks whole.
func TestExportCutInSecondWalk(t *testing.T) {
	t.Parallel()
	for _, f := range []export.Format{export.FormatCSV, export.FormatXLSX} {
		t.Run(string(f), func(t *testing.T) {
			t.Parallel()
			g := &gatedRows{rows: streamRows(3000), failAt: 2500}
			srv, target := serveGated(t, g, f)
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+target, nil)
			req.Header.Set("x-api-key", key1)
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d, want 200 (the failure comes after the start)", resp.StatusCode)
			}
			if body, err := io.ReadAll(resp.Body); err == nil {
				t.Errorf("read %d bytes and a clean end; want a broken transfer", len(body))
			}
		})
	}
}
