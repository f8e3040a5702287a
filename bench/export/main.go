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
// prints them). Linux only: the peak comes from /proc/self/status.
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
	Load        string  `json:"-"` // the machine's load average when it started
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	rows := fs.Int64("rows", 1_000_000, "rows to store and export")
	batch := fs.Int("batch", 5000, "rows per insert transaction")
	dir := fs.String("dir", "", "data folder to use (default: a new temporary folder, removed at the end)")
	md := fs.String("md", "BENCHMARKS.md", `file to write the "## Exports" section to; "" = print only`)
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

	if *dir == "" {
		tmp, err := os.MkdirTemp("", "trawl-export-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		*dir = tmp
	}
	fmt.Fprintf(stdout, "storing %d rows in %s …\n", *rows, *dir)
	job, stored, insertTime, err := seed(*dir, *rows, *batch)
	if err != nil {
		return err
	}
	dbSize := fileSize(filepath.Join(*dir, sqlite.FileName))
	fmt.Fprintf(stdout, "stored %d rows (%.1f MB of row JSON, avg %d B/row) in %s (%.0f rows/s); database %.1f MB\n",
		*rows, mb(stored), stored / *rows, insertTime.Round(time.Millisecond), float64(*rows)/insertTime.Seconds(), mb(dbSize))

	self, err := os.Executable()
	if err != nil {
		return err
	}
	var results []result
	for _, f := range export.Formats() {
		load := loadAverage()
		cmd := exec.Command(self, "-child", "-dir", *dir, "-job", strconv.FormatInt(job, 10), "-format", string(f), "-cpuprofile", *cpuProfile)
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("%s child: %w", f, err)
		}
		var r result
		if err := json.Unmarshal(out, &r); err != nil {
			return fmt.Errorf("%s child said %q: %w", f, out, err)
		}
		r.Load = load
		if r.Rows != *rows {
			return fmt.Errorf("%s export holds %d rows, want %d", f, r.Rows, *rows)
		}
		fmt.Fprintf(stdout, "%-4s %8.1f MB in %6.1fs: %8.0f rows/s, %6.1f MB/s, peak RSS %5.1f MB (%.1f MB before the export)\n",
			f, mb(r.Bytes), r.Seconds, float64(r.Rows)/r.Seconds, mb(r.Bytes)/r.Seconds, kbToMB(r.PeakRSSKB), kbToMB(r.BaseRSSKB))
		results = append(results, r)
	}
	section := report(*rows, stored, insertTime, dbSize, results)
	fmt.Fprintln(stdout)
	fmt.Fprint(stdout, section)
	if *md == "" {
		return nil
	}
	return writeSection(*md, section)
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

// report renders the "## Exports" section.
func report(n, stored int64, insertTime time.Duration, dbSize int64, results []result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## Exports\n\n")
	fmt.Fprintf(&b, "`go run ./bench/export -rows %d` (%s): %d Google-Maps-like rows (%.0f MB of row JSON, %d B a row on average;\n",
		n, time.Now().UTC().Format("2006-01-02"), n, mb(stored), stored/max(n, 1))
	fmt.Fprintf(&b, "nested coordinates, string arrays, opening hours as an array of objects) stored through the SQLite store in\n")
	fmt.Fprintf(&b, "%.0f s (%.0f rows/s, database file %.0f MB), then downloaded once per format through the real HTTP handler\n",
		insertTime.Seconds(), float64(n)/insertTime.Seconds(), mb(dbSize))
	fmt.Fprintf(&b, "(a signed `/exports/` link over loopback, body discarded), each format in a fresh process.\n")
	fmt.Fprintf(&b, "Peak RSS is that process's VmHWM: server, database and client together; \"before\" is VmHWM just before the request.\n\n")
	fmt.Fprintf(&b, "| format | output | time | rows/s | MB/s of rows | MB/s of output | peak RSS | before | load avg at start |\n")
	fmt.Fprintf(&b, "|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range results {
		fmt.Fprintf(&b, "| %s | %.1f MB | %.1f s | %.0f | %.1f | %.1f | %.1f MB | %.1f MB | %s |\n", r.Format, mb(r.Bytes), r.Seconds,
			float64(r.Rows)/r.Seconds, mb(stored)/r.Seconds, mb(r.Bytes)/r.Seconds, kbToMB(r.PeakRSSKB), kbToMB(r.BaseRSSKB), r.Load)
	}
	fmt.Fprintf(&b, "\nMachine: %s, %d CPUs (nproc), %s, %s %s/%s.\n", cpuModel(), runtime.NumCPU(), memTotal(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	b.WriteString(reportNotes)
	return b.String()
}

// reportNotes ends the section.
const reportNotes = "\nNotes: CSV and XLSX read the rows twice (the column set first, keeping only names), so they cost two walks of the\n" +
	"database. The XLSX peak is mostly excelize's StreamWriter, which holds up to 16 MiB of sheet XML before moving it to a\n" +
	"temporary file (as large as the uncompressed sheet); the workbook is then zipped straight into the response. The\n" +
	"throughput depends on how busy the machine is (see the load column); `go test ./export -bench Write` measures the\n" +
	"writers alone, without the database.\n"

// writeSection puts section into the markdown file path in place of its
// "## Exports" section, or at its end; the rest of the file is kept.
func writeSection(path, section string) error {
	old, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		old = []byte("# Benchmarks\n")
	} else if err != nil {
		return err
	}
	text := string(old)
	const heading = "## Exports\n"
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
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	if f := strings.Fields(string(b)); len(f) > 0 {
		return f[0]
	}
	return "?"
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
