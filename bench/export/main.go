// Command export measures trawl's downloads: it stores -rows realistic
// Google-Maps-like rows in a fresh SQLite database through the real store,
// then downloads them once in each format through the real HTTP handler
// (a signed /exports link over a loopback connection, body discarded) and
// reports rows/s, MB/s and the peak resident memory (VmHWM) of the process
// that served it. Each format runs in a fresh child process (this program
// re-executed with -child) so that each peak is its own.
//
//	go run ./bench/export -rows 1000000
//
// writes the results under "## Exports" in BENCHMARKS.md (-md "" only
// prints them). With -dir, the rows stay in that folder and later runs
// reuse them; -runs repeats each export (median and range); -reference
// runs another build of this command (say, main's) in turn with this one
// over the same rows and reports the ratios, under "## Exports (issue 11)":
//
//	git worktree add /tmp/main main && (cd /tmp/main && go build -o /tmp/export-main ./bench/export)
//	go run ./bench/export -dir /tmp/rows -runs 3 -reference /tmp/export-main
//
// Linux only: the peak comes from /proc/self/status.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	mathrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/export"
	"github.com/trawlhq/trawl/httpapi"
	"github.com/trawlhq/trawl/scrape"
	"github.com/trawlhq/trawl/store"
	"github.com/trawlhq/trawl/store/sqlite"
)

// mapsColumns are the columns the benchmark's scraper declares.
var mapsColumns = []string{"position", "title", "address", "phone", "website", "rating", "reviews", "type", "types",
	"gpsCoordinates", "workingHours", "emails"}

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "export bench:", err)
		os.Exit(1)
	}
}

// result is one format's measurement, as a child reports it.
type result struct {
	Format      string  `json:"format"`
	Rows        int64   `json:"rows"`
	Bytes       int64   `json:"bytes"`
	Seconds     float64 `json:"seconds"`
	BaseRSSKB   int64   `json:"baseRssKb"`
	PeakRSSKB   int64   `json:"peakRssKb"`
	ContentType string  `json:"contentType"`
	Load        float64 `json:"-"` // the machine's load average when it started
}

// seeded describes the database a run exports, kept beside it (seededFile)
// so that later runs with the same -dir skip storing the rows again.
type seeded struct {
	Job           int64   `json:"job"`
	Rows          int64   `json:"rows"`
	StoredBytes   int64   `json:"storedBytes"`
	InsertSeconds float64 `json:"insertSeconds"`
}

const seededFile = "export-bench.json"

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	rows := fs.Int64("rows", 1_000_000, "rows to store and export")
	batch := fs.Int("batch", 5000, "rows per insert transaction")
	dir := fs.String("dir", "", "data folder to use, kept (default: a new temporary folder, removed at the end); a folder an earlier run seeded with as many rows is reused as it is")
	runs := fs.Int("runs", 1, "exports of each format (each in a fresh process); the report gives the median and range")
	reference := fs.String("reference", "", "another build of this command (say, from main) whose exports run in turn with this one's, over the same database; the report gives the ratios")
	md := fs.String("md", "BENCHMARKS.md", `file to write the "## Exports" section to ("## Exports (issue 11)" with -reference); "" = print only`)
	child := fs.Bool("child", false, "internal: export one format of an existing database and report")
	format := fs.String("format", "", "internal: the child's format")
	jobID := fs.Int64("job", 0, "internal: the child's job")
	cpuProfile := fs.String("cpuprofile", "", "write each format's CPU profile to this path with the format appended (path.json, …)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *child {
		return runChild(*dir, *jobID, export.Format(*format), *cpuProfile, stdout)
	}
	if *runs < 1 {
		return fmt.Errorf("-runs %d: want 1 or more", *runs)
	}

	if *dir == "" {
		tmp, err := os.MkdirTemp("", "trawl-export-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		*dir = tmp
	}
	db, err := seedOnce(*dir, *rows, *batch, stdout)
	if err != nil {
		return err
	}
	dbSize := fileSize(filepath.Join(*dir, sqlite.FileName))
	fmt.Fprintf(stdout, "%d rows (%.1f MB of row JSON, avg %d B/row) stored in %.1f s (%.0f rows/s); database %.1f MB\n",
		db.Rows, mb(db.StoredBytes), db.StoredBytes/db.Rows, db.InsertSeconds, float64(db.Rows)/db.InsertSeconds, mb(dbSize))

	self, err := os.Executable()
	if err != nil {
		return err
	}
	builds := []build{{name: "this build", path: self}}
	if *reference != "" {
		builds = append(builds, build{name: "reference", path: *reference})
	}
	var all []formatRuns
	for _, f := range export.Formats() {
		fr := formatRuns{format: f, runs: make([][]result, len(builds))}
		for i := range *runs {
			// Alternate the builds, so that both see the same load.
			for b, bu := range builds {
				r, err := runOnce(bu.path, *dir, db.Job, f, *cpuProfile)
				if err != nil {
					return fmt.Errorf("%s, %s: %w", bu.name, f, err)
				}
				if r.Rows != db.Rows {
					return fmt.Errorf("%s: %s export holds %d rows, want %d", bu.name, f, r.Rows, db.Rows)
				}
				fmt.Fprintf(stdout, "%-10s %-4s run %d: %8.1f MB in %6.1fs: %8.0f rows/s, %6.1f MB/s, peak RSS %5.1f MB (%.1f MB before the export), load %.2f\n",
					bu.name, f, i+1, mb(r.Bytes), r.Seconds, float64(r.Rows)/r.Seconds, mb(r.Bytes)/r.Seconds, kbToMB(r.PeakRSSKB), kbToMB(r.BaseRSSKB), r.Load)
				fr.runs[b] = append(fr.runs[b], r)
			}
		}
		all = append(all, fr)
	}
	section := report(db, dbSize, *runs, *reference != "", all)
	fmt.Fprintln(stdout)
	fmt.Fprint(stdout, section)
	if *md == "" {
		return nil
	}
	heading := "## Exports\n"
	if *reference != "" {
		heading = "## Exports (issue 11)\n"
	}
	return writeSection(*md, heading, section)
}

// build is a binary of this command whose children export.
type build struct{ name, path string }

// formatRuns holds a format's results: runs[0] of this build, runs[1] of
// the reference.
type formatRuns struct {
	format export.Format
	runs   [][]result
}

// runOnce exports format f of job in a fresh child process of the binary
// exe.
func runOnce(exe, dir string, job int64, f export.Format, cpuProfile string) (result, error) {
	load := loadAverage()
	cmd := exec.Command(exe, "-child", "-dir", dir, "-job", strconv.FormatInt(job, 10), "-format", string(f), "-cpuprofile", cpuProfile)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return result{}, fmt.Errorf("child: %w", err)
	}
	var r result
	if err := json.Unmarshal(out, &r); err != nil {
		return result{}, fmt.Errorf("child said %q: %w", out, err)
	}
	r.Load = load
	return r, nil
}

// seedOnce stores n rows in dir, unless an earlier run stored as many there.
func seedOnce(dir string, n int64, batch int, stdout io.Writer) (seeded, error) {
	var s seeded
	path := filepath.Join(dir, seededFile)
	if b, err := os.ReadFile(path); err == nil {
		if err := json.Unmarshal(b, &s); err != nil {
			return s, fmt.Errorf("%s: %w", path, err)
		}
		if s.Rows != n {
			return s, fmt.Errorf("%s holds %d rows, not the %d of -rows: use another -dir", dir, s.Rows, n)
		}
		fmt.Fprintf(stdout, "reusing the rows stored in %s\n", dir)
		return s, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return s, err
	}
	fmt.Fprintf(stdout, "storing %d rows in %s …\n", n, dir)
	job, stored, insertTime, err := seed(dir, n, batch)
	if err != nil {
		return s, err
	}
	s = seeded{Job: job, Rows: n, StoredBytes: stored, InsertSeconds: insertTime.Seconds()}
	b, err := json.Marshal(s)
	if err != nil {
		return s, err
	}
	return s, os.WriteFile(path, b, 0o644)
}

// seed stores n rows for one finished job and returns its id, the bytes of
// row JSON stored and the time it took.
func seed(dir string, n int64, batch int) (int64, int64, time.Duration, error) {
	ctx := context.Background()
	db, err := sqlite.Open(dir, nil)
	if err != nil {
		return 0, 0, 0, err
	}
	defer db.Close()
	if err := db.Migrate(ctx, slog.New(slog.DiscardHandler)); err != nil {
		return 0, 0, 0, err
	}
	acct, err := db.CreateAccount(ctx, "bench")
	if err != nil {
		return 0, 0, 0, err
	}
	job := &trawl.Job{AccountID: acct.ID, Scraper: "google-maps", Status: trawl.StatusInProgress,
		Input: json.RawMessage(`{"keywords":["coffee"],"locations":["New York, NY"]}`), Params: json.RawMessage(`{}`)}
	if err := db.InTx(ctx, func(tx store.Tx) error { return tx.CreateJob(job) }); err != nil {
		return 0, 0, 0, err
	}
	rng := mathrand.New(mathrand.NewPCG(1, 2))
	var stored int64
	start := time.Now()
	data := make([]json.RawMessage, 0, batch)
	for done := int64(0); done < n; {
		data = data[:0]
		for i := 0; i < batch && done+int64(i) < n; i++ {
			row := mapsRow(rng, done+int64(i)+1)
			stored += int64(len(row))
			data = append(data, row)
		}
		err := db.InTx(ctx, func(tx store.Tx) error {
			j, err := tx.Job(job.ID)
			if err != nil {
				return err
			}
			if _, err := tx.InsertRows(j, data); err != nil {
				return err
			}
			j.DataRowsCount += int64(len(data))
			if j.DataRowsCount == n {
				now := time.Now()
				j.Status, j.FinishedAt = trawl.StatusFinished, &now
			}
			return tx.UpdateJob(j)
		})
		if err != nil {
			return 0, 0, 0, err
		}
		done += int64(len(data))
	}
	return job.ID, stored, time.Since(start), nil
}

var (
	streets = []string{"Main St", "Broadway", "5th Ave", "Park Ave", "Lexington Ave", "W 34th St", "Atlantic Ave", "Bedford Ave"}
	kinds   = [][]string{{"Coffee shop", "Cafe"}, {"Bakery", "Cafe", "Breakfast restaurant"}, {"Italian restaurant", "Pizza restaurant"},
		{"Dentist", "Cosmetic dentist"}, {"Marketing agency"}}
	days = []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
)

// mapsRow is a Google-Maps-like row of about 550 bytes: nested coordinates,
// arrays of strings, opening hours as an array of objects, sometimes emails
// or a missing website.
func mapsRow(rng *mathrand.Rand, pos int64) json.RawMessage {
	k := kinds[rng.IntN(len(kinds))]
	hours := make([]map[string]string, 0, 3)
	for _, d := range days[:1+rng.IntN(3)] {
		hours = append(hours, map[string]string{"day": d, "hours": fmt.Sprintf("%d AM–%d PM", 6+rng.IntN(4), 5+rng.IntN(6))})
	}
	row := map[string]any{
		"position": pos,
		"title":    fmt.Sprintf("%s #%d", k[0], pos),
		"placeId":  fmt.Sprintf("ChIJ%016x", rng.Uint64()),
		"address":  fmt.Sprintf("%d %s, New York, NY %05d", 1+rng.IntN(999), streets[rng.IntN(len(streets))], 10001+rng.IntN(300)),
		"phone":    fmt.Sprintf("+1 212-555-%04d", rng.IntN(10000)),
		"rating":   float64(30+rng.IntN(21)) / 10,
		"reviews":  rng.IntN(5000),
		"type":     k[0],
		"types":    k,
		"price":    strings.Repeat("$", 1+rng.IntN(3)),
		"gpsCoordinates": map[string]float64{
			"latitude":  40.7 + rng.Float64()/10,
			"longitude": -74.0 + rng.Float64()/10,
		},
		"openState":      "Open ⋅ Closes 6 PM",
		"workingHours":   map[string]any{"timezone": "America/New_York", "days": hours},
		"serviceOptions": []string{"Dine-in", "Takeout", "Delivery"}[:1+rng.IntN(3)],
	}
	if rng.IntN(4) > 0 {
		row["website"] = fmt.Sprintf("https://place-%d.example.com/", pos)
	}
	if rng.IntN(3) == 0 {
		row["emails"] = []string{fmt.Sprintf("hello@place-%d.example.com", pos)}
	}
	b, err := json.Marshal(row)
	if err != nil {
		panic(err)
	}
	return b
}

// runChild downloads one format of job through the real API and prints a
// result as JSON.
func runChild(dir string, jobID int64, f export.Format, cpuProfile string, stdout io.Writer) error {
	if _, ok := export.ParseFormat(string(f)); !ok {
		return fmt.Errorf("unknown format %q", f)
	}
	db, err := sqlite.Open(dir, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	srv := httptest.NewUnstartedServer(nil)
	signer, err := export.NewSigner(export.SignerConfig{Secret: secret, BaseURL: "http://" + srv.Listener.Addr().String()})
	if err != nil {
		return err
	}
	srv.Config.Handler = httpapi.New(httpapi.Config{
		Jobs:     noJobs{},
		Store:    db,
		Scrapers: []scrape.Info{{Slug: "google-maps", Name: "Google Maps", Columns: mapsColumns}},
		Exports:  &httpapi.Exports{Tokens: signer, Rows: db},
	})
	srv.Start()
	defer srv.Close()

	link := signer.URL(jobID, f, time.Now().Add(time.Hour))
	runtime.GC()
	base, err := peakRSSKB()
	if err != nil {
		return err
	}
	if cpuProfile != "" {
		pf, err := os.Create(cpuProfile + "." + string(f))
		if err != nil {
			return err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	start := time.Now()
	resp, err := srv.Client().Get(link)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("GET %s: %d %s", link, resp.StatusCode, body)
	}
	counter := &rowCounter{format: f}
	n, err := io.Copy(counter, resp.Body)
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	peak, err := peakRSSKB()
	if err != nil {
		return err
	}
	rows := counter.rows()
	if f == export.FormatXLSX {
		// The workbook is zipped; count its rows from the database instead
		// (the round trip is the tests' business).
		job, err := db.Job(context.Background(), 0, jobID)
		if err != nil {
			return err
		}
		rows = job.DataRowsCount
	}
	return json.NewEncoder(stdout).Encode(result{Format: string(f), Rows: rows, Bytes: n, Seconds: elapsed.Seconds(),
		BaseRSSKB: base, PeakRSSKB: peak, ContentType: resp.Header.Get("Content-Type")})
}

// rowCounter discards a download, counting its lines: a JSON export has
// one row per line between the brackets, a CSV one per line after the
// header (the benchmark's rows have no line breaks in their cells).
type rowCounter struct {
	format export.Format
	lines  int64
}

func (c *rowCounter) Write(p []byte) (int, error) {
	for _, b := range p {
		if b == '\n' {
			c.lines++
		}
	}
	return len(p), nil
}

func (c *rowCounter) rows() int64 {
	if c.format == export.FormatJSON {
		return c.lines - 2 // the "[" and "]" lines
	}
	return c.lines - 1 // the header
}

// noJobs is the Jobs of an API that only serves downloads.
type noJobs struct{}

func (noJobs) Create(context.Context, int64, string, []byte) (*trawl.Job, error) {
	return nil, trawl.Errorf(trawl.EINVALID, "This server only serves downloads.")
}

func (noJobs) Stop(context.Context, int64, int64) (*trawl.Job, error) {
	return nil, trawl.Errorf(trawl.ENOTFOUND, "This server only serves downloads.")
}

// peakRSSKB reads the process's peak resident set size (VmHWM).
func peakRSSKB() (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, fmt.Errorf("peak RSS needs Linux's /proc: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			return strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		}
	}
	return 0, errors.New("no VmHWM in /proc/self/status")
}

// report renders the section: medians and ranges over the runs, and with a
// reference, its figures and the ratios of this build's to them.
func report(db seeded, dbSize int64, runs int, withRef bool, all []formatRuns) string {
	var b strings.Builder
	cmd := fmt.Sprintf("go run ./bench/export -rows %d -runs %d", db.Rows, runs)
	heading := "## Exports\n\n"
	if withRef {
		cmd += " -reference <a build of bench/export from main>"
		heading = "## Exports (issue 11)\n\n"
	}
	b.WriteString(heading)
	fmt.Fprintf(&b, "`%s` (%s): %d Google-Maps-like rows (%.0f MB of row JSON, %d B a row on average;\n",
		cmd, time.Now().UTC().Format("2006-01-02"), db.Rows, mb(db.StoredBytes), db.StoredBytes/max(db.Rows, 1))
	fmt.Fprintf(&b, "nested coordinates, string arrays, opening hours as an array of objects) stored through the SQLite store in\n")
	fmt.Fprintf(&b, "%.0f s (%.0f rows/s, database file %.0f MB), then downloaded through the real HTTP handler (a signed\n",
		db.InsertSeconds, float64(db.Rows)/db.InsertSeconds, mb(dbSize))
	fmt.Fprintf(&b, "`/exports/` link over loopback, body discarded), %d times per format, each export in a fresh process", runs)
	if withRef {
		b.WriteString(",\nthis build's and the reference's in turn over the same database")
	}
	b.WriteString(".\nPeak RSS is that process's VmHWM: server, database and client together; \"before\" is VmHWM just before the\n" +
		"request. Figures are the median and (range) of the runs.\n\n")
	if withRef {
		b.WriteString("| format | output | peak RSS | peak RSS, reference | ratio | time | time, reference | ratio | load avg |\n")
		b.WriteString("|---|---|---|---|---|---|---|---|---|\n")
		for _, fr := range all {
			cur, ref := fr.runs[0], fr.runs[1]
			peak, refPeak := spread(cur, peakMB), spread(ref, peakMB)
			secs, refSecs := spread(cur, seconds), spread(ref, seconds)
			fmt.Fprintf(&b, "| %s | %.1f MB (reference %.1f MB) | %s MB | %s MB | %.2f | %s s | %s s | %.2f | %s |\n",
				fr.format, mb(cur[0].Bytes), mb(ref[0].Bytes), peak, refPeak, peak.median/refPeak.median,
				secs, refSecs, secs.median/refSecs.median, loads(append(cur, ref...)))
		}
	} else {
		b.WriteString("| format | output | time | rows/s | MB/s of rows | MB/s of output | peak RSS | before | load avg |\n")
		b.WriteString("|---|---|---|---|---|---|---|---|---|\n")
		for _, fr := range all {
			cur := fr.runs[0]
			secs := spread(cur, seconds)
			fmt.Fprintf(&b, "| %s | %.1f MB | %s s | %.0f | %.1f | %.1f | %s MB | %s MB | %s |\n", fr.format, mb(cur[0].Bytes), secs,
				float64(db.Rows)/secs.median, mb(db.StoredBytes)/secs.median, mb(cur[0].Bytes)/secs.median,
				spread(cur, peakMB), spread(cur, baseMB), loads(cur))
		}
	}
	fmt.Fprintf(&b, "\nMachine: %s, %d CPUs (nproc), %s, %s %s/%s.\n", cpuModel(), runtime.NumCPU(), memTotal(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	b.WriteString(reportNotes)
	return b.String()
}

func peakMB(r result) float64  { return kbToMB(r.PeakRSSKB) }
func baseMB(r result) float64  { return kbToMB(r.BaseRSSKB) }
func seconds(r result) float64 { return r.Seconds }

// stats is a median and a range.
type stats struct{ median, low, high float64 }

func (s stats) String() string {
	if s.low == s.high {
		return fmt.Sprintf("%.1f", s.median)
	}
	return fmt.Sprintf("%.1f (%.1f–%.1f)", s.median, s.low, s.high)
}

// spread is the median and range of one figure of rs.
func spread(rs []result, figure func(result) float64) stats {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = figure(r)
	}
	slices.Sort(v)
	m := v[len(v)/2]
	if len(v)%2 == 0 {
		m = (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return stats{median: m, low: v[0], high: v[len(v)-1]}
}

// loads is the range of the load averages the runs started at.
func loads(rs []result) string {
	s := spread(rs, func(r result) float64 { return r.Load })
	if s.low == s.high {
		return fmt.Sprintf("%.2f", s.low)
	}
	return fmt.Sprintf("%.2f–%.2f", s.low, s.high)
}

// reportNotes ends the section.
const reportNotes = "\nNotes: CSV and XLSX read the rows twice (the column set first, keeping only names), so they cost two walks of the\n" +
	"database. The XLSX writer turns each row into sheet XML and compresses it straight into the zip archive it streams\n" +
	"out (no sheet in memory, no temporary file). About 16 MB of each peak is the binary itself (file-backed pages) and\n" +
	"the rest mostly the Go heap and SQLite's cache, flat over the export. The throughput depends on how busy the machine\n" +
	"is (see the load column); `go test ./export -bench Write` measures the writers alone, without the database.\n"

// writeSection puts section into the markdown file path in place of the
// section under heading (a line such as "## Exports\n"), or at its end; the
// rest of the file is kept.
func writeSection(path, heading, section string) error {
	old, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		old = []byte("# Benchmarks\n")
	} else if err != nil {
		return err
	}
	text := string(old)
	if i := strings.Index(text, heading); i >= 0 && (i == 0 || text[i-1] == '\n') {
		end := len(text)
		if j := strings.Index(text[i+len(heading):], "\n## "); j >= 0 {
			end = i + len(heading) + j + 1
			section += "\n"
		}
		text = text[:i] + section + text[end:]
	} else {
		text = strings.TrimRight(text, "\n") + "\n\n" + section
	}
	return os.WriteFile(path, []byte(text), 0o644)
}

// loadAverage is the 1-minute load average, which says how much the
// machine was shared during a run.
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	if f := strings.Fields(string(b)); len(f) > 0 {
		v, _ := strconv.ParseFloat(f[0], 64)
		return v
	}
	return 0
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

func memTotal() string {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return "unknown RAM"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return fmt.Sprintf("%.0f GB RAM", float64(kb)/(1<<20))
		}
	}
	return "unknown RAM"
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

func mb(b int64) float64 { return float64(b) / 1e6 }

func kbToMB(kb int64) float64 { return float64(kb) * 1024 / 1e6 }
