package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// hostileTitle is what a scraped page may say; the console must show it as
// text and run none of it.
const hostileTitle = `<script>window.__pwned=1</script>"><img src=x onerror="window.__pwned=2">`

// css selects the first element that matches a CSS selector.
func css(sel string) chromedp.CSS { return chromedp.CSS(sel) }

// chromium finds a Chromium to drive, or skips the test saying why.
func chromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("TRAWL_TEST_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	t.Skip("no Chromium found (install Debian's chromium package, or set TRAWL_TEST_CHROMIUM): skipping the real-browser test")
	return ""
}

// newBrowser starts a headless Chromium with a fresh profile and returns a
// tab's context.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	exe := chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 900),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelTab(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium %s: %v", exe, err)
	}
	return ctx
}

// consoleSite serves an index linking to pages, one with a hostile title,
// and /slow, which answers once gate is closed.
func consoleSite(t *testing.T, pages int, gate chan struct{}) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		switch {
		case r.URL.Path == "/slow":
			select {
			case <-gate:
			case <-r.Context().Done():
				return
			}
			fmt.Fprint(w, `<html><head><title>Slow page</title></head><body>at last</body></html>`)
		case r.URL.Path == "/":
			var b strings.Builder
			b.WriteString("<html><head><title>Shop index</title></head><body><ul>")
			for i := range pages {
				fmt.Fprintf(&b, `<li><a href="/p/%d">page %d</a></li>`, i, i)
			}
			b.WriteString(`<li><a href="/evil">evil</a></li></ul></body></html>`)
			fmt.Fprint(w, b.String())
		case r.URL.Path == "/evil":
			fmt.Fprintf(w, `<html><head><title>%s</title></head><body><p>%s</p></body></html>`,
				strings.ReplaceAll(hostileTitle, "<", "&lt;"), strings.Repeat("A long body of text. ", 20))
		case strings.HasPrefix(r.URL.Path, "/p/"):
			fmt.Fprintf(w, `<html><head><title>Product %s</title></head><body><p>About %s</p></body></html>`, r.URL.Path[3:], r.URL.Path)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// failingReceiver answers 500 (with a hostile excerpt) until healed.
type failingReceiver struct {
	healed atomic.Bool
	count  atomic.Int64
}

func (f *failingReceiver) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	f.count.Add(1)
	if f.healed.Load() {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	w.WriteHeader(http.StatusInternalServerError)
	fmt.Fprint(w, `<img src=x onerror="window.__pwned=3"> receiver down`)
}

// TestConsoleInBrowser drives the console in a real, headless Chromium: sign
// in, create a crawl from the form, watch it finish without reloading, page
// the rows, download the CSV, redeliver a failed delivery, rotate the
// secret, sign out; a hostile page title stays text throughout.
//
// With TRAWL_SCREENSHOTS=<dir> it also saves PNGs of the main pages there
// (the README's are made so: TRAWL_SCREENSHOTS=$PWD/docs/console).
func TestConsoleInBrowser(t *testing.T) {
	t.Parallel()
	ctx := newBrowser(t)
	gate := make(chan struct{})
	site := consoleSite(t, 30, gate)
	hook := &failingReceiver{}
	hookSrv := httptest.NewServer(hook)
	t.Cleanup(hookSrv.Close)
	dataDir := t.TempDir()
	if d := os.Getenv("ZZ_DATA"); d != "" {
		dataDir = d
	}
	in := start(t, testEnv(map[string]string{"TRAWL_DATA_DIR": dataDir}))
	shots := os.Getenv("TRAWL_SCREENSHOTS")

	// Each step has a minute; a step that fails shows where the page was
	// and what it said.
	run := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		stepCtx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		if err := chromedp.Do(stepCtx, steps...); err != nil {
			dumpCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			url, _ := chromedp.Run(dumpCtx, chromedp.Location())
			page, _ := chromedp.Run(dumpCtx, chromedp.Evaluate[string](`document.body.innerText`))
			var log []string
			for _, l := range strings.Split(in.stderr.String(), "\n") {
				if !strings.Contains(l, "level=INFO") || strings.Contains(l, "redeliver") {
					log = append(log, l)
				}
			}
			t.Fatalf("%s (at %s): %v\npage:\n%s\nserver log (no INFO):\n%s", what, url, err, page, strings.Join(log, "\n"))
		}
	}
	// Reads retry for a while: a read that meets a document being replaced
	// (a navigation just finishing) fails and is simply made again.
	text := func(sel string) string {
		t.Helper()
		var s string
		var err error
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); {
			stepCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
			s, err = chromedp.Run(stepCtx, chromedp.Text(css(sel)))
			cancel()
			if err == nil {
				return s
			}
		}
		t.Fatalf("read %s: %v", sel, err)
		return ""
	}
	eval := func(js string) any {
		t.Helper()
		var v any
		var err error
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); {
			stepCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
			v, err = chromedp.Run(stepCtx, chromedp.Evaluate[any](js))
			cancel()
			if err == nil {
				return v
			}
		}
		t.Fatalf("evaluate %s: %v", js, err)
		return nil
	}
	shot := func(name string, scrollTo ...string) {
		t.Helper()
		if shots == "" {
			return
		}
		for _, size := range []struct {
			suffix string
			w, h   int64
			opts   []chromedp.EmulateViewportOption
		}{{"", 1200, 800, nil}, {"-phone", 390, 844, []chromedp.EmulateViewportOption{chromedp.EmulateMobile, chromedp.EmulatePortrait}}} {
			run("resize for "+name, chromedp.EmulateViewport(size.w, size.h, size.opts...))
			for _, id := range scrollTo {
				eval(`document.getElementById("` + id + `").scrollIntoView()`)
			}
			png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
			if err != nil {
				t.Fatalf("screenshot %s: %v", name, err)
			}
			if err := os.WriteFile(filepath.Join(shots, name+size.suffix+".png"), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		run("restore the window", chromedp.ResetViewport())
	}

	// Signing in: a wrong key is refused, the right one lands on the jobs.
	run("open the console", chromedp.Navigate(in.base+"/"), chromedp.WaitVisible(css(`#key`)))
	run("sign in with a wrong key",
		chromedp.SendKeys(css(`#key`), "trawl_wrong"), chromedp.Submit(css(`#key`)),
		chromedp.WaitVisible(css(`#login-error`)))
	run("sign in",
		chromedp.SendKeys(css(`#key`), in.key), chromedp.Submit(css(`#key`)),
		chromedp.WaitVisible(css(`.empty`)))
	if cookies := eval(`document.cookie`); strings.Contains(fmt.Sprint(cookies), "trawl_session") {
		t.Errorf("the session cookie is readable from script: %q", cookies)
	}

	// The new-job form: a bad value comes back with the API's error next
	// to its field; then the job is made.
	run("open the form", chromedp.Click(css(`a.button[href="/console/new"]`)), chromedp.WaitVisible(css(`[name="p.urls"]`)))
	shot("new-job")
	run("submit a bad depth",
		chromedp.SendKeys(css(`[name="p.urls"]`), site.URL+"/"),
		chromedp.Click(css(`details.options summary`)),
		chromedp.SetValue(css(`[name="p.maxDepth"]`), "99"),
		chromedp.Click(css(`#create`)),
		chromedp.WaitVisible(css(`#err\.maxDepth`)))
	fieldErr := text(`#err\.maxDepth`)
	if !strings.Contains(fieldErr, "maxDepth") {
		t.Errorf("field error next to maxDepth: %q", fieldErr)
	}
	run("fill the form",
		chromedp.SetValue(css(`[name="p.maxDepth"]`), "1"),
		chromedp.SendKeys(css(`[name="webhook.url"]`), hookSrv.URL+"/hook"),
		chromedp.SetValue(css(`[name="webhook.maxAttempts"]`), "1"),
		chromedp.Click(css(`#show-curl`)))
	// The refused form showed a command too: wait for the new one.
	var curl string
	waitFor(t, 30*time.Second, "the curl command of the filled form", func() bool {
		curl = text(`#curl`)
		return strings.Contains(curl, "maxAttempts")
	})
	if !strings.Contains(curl, "/scrapers/crawler/jobs") || !strings.Contains(curl, `"maxAttempts":1`) || !strings.Contains(curl, site.URL) {
		t.Errorf("curl command: %q", curl)
	}
	run("create the job", chromedp.Click(css(`#create`)), chromedp.WaitVisible(css(`#rows`)))

	// The job page follows the job live: no reload happens (the marker set
	// on this document survives) while the status becomes finished.
	eval(`window.__marker = "same document"`)
	run("watch the job finish", chromedp.WaitVisible(css(`.heading [data-field=status][data-status=finished]`)))
	if got := eval(`window.__marker`); got != "same document" {
		t.Fatalf("the page reloaded to show the end of the job (marker %v)", got)
	}
	run("wait for the rows and the end of the stop button, live", chromedp.WaitVisible(css(`table.rows`)), chromedp.WaitNotPresent(css(`#stop`)))

	if rowsCount := text(`.facts [data-field=rows]`); rowsCount != "32" {
		t.Errorf("rows shown: %q, want 32 (the index, 30 pages and the hostile one)", rowsCount)
	}

	// The hostile title is inert text wherever it shows.
	checkInert := func(where string) {
		t.Helper()
		if got := eval(`window.__pwned === undefined && document.querySelectorAll("main img, main script").length === 0`); got != true {
			t.Errorf("%s: hostile content ran or became markup", where)
		}
	}
	checkInert("job page")
	shot("job")
	shownAsText := `document.querySelector("table.rows").textContent.includes('<script>window.__pwned=1</script>')`
	hostileSeen := eval(shownAsText) == true

	// Rows are paged.
	run("next page of rows", chromedp.Click(css(`#rows a[rel=next]`)), chromedp.WaitVisible(css(`#rows a[rel=prev]`)))
	if pagerText := text(`#rows .pager`); !strings.Contains(pagerText, "Page 2 of 2") {
		t.Errorf("rows pager: %q", pagerText)
	}
	checkInert("second page of rows")
	if !hostileSeen && eval(shownAsText) != true { // the crawl's order decides the page it is on
		t.Errorf("the hostile title is not shown as text in the rows")
	}

	// Progress counts the tasks that ended (the last one may end just
	// after the job's last change, so this reads a fresh page).
	waitFor(t, 30*time.Second, "the progress to show every task done", func() bool {
		return chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitVisible(css(`#facts`))) == nil && strings.Contains(text(`#facts`), "32 / 32")
	})

	// The CSV downloads.
	downloads := t.TempDir()
	done := make(chan string, 1)
	err := chromedp.ListenBrowser(ctx, func(ev any) {
		var p *browser.EventDownloadProgress
		switch e := ev.(type) {
		case *browser.EventDownloadProgress:
			p = e
		case browser.EventDownloadProgress:
			p = &e
		}
		if p != nil && p.State == browser.DownloadProgressStateCompleted {
			select {
			case done <- p.GUID:
			default:
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: downloads, EventsEnabled: &yes}); err != nil {
		t.Fatal(err)
	}
	run("download the CSV", chromedp.Click(css(`#download-csv`)))
	select {
	case guid := <-done:
		csv, err := os.ReadFile(filepath.Join(downloads, guid))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(csv), "url,") || strings.Count(string(csv), site.URL) < 32 {
			t.Errorf("downloaded CSV does not hold the rows:\n%.300s", csv)
		}
	case <-time.After(time.Minute):
		t.Fatal("the CSV download did not complete")
	}

	// Every delivery failed (the receiver answers 500, one attempt each);
	// the log shows it, and a redelivery to the healed receiver succeeds.
	run("see the failed deliveries", chromedp.WaitVisible(css(`#deliveries tr[data-event="scraper.job.finished"] .status[data-status=failed]`)))
	checkInert("delivery log")
	shot("deliveries", "deliveries")
	hook.healed.Store(true)
	// The log is redrawn live: a click can meet a row that was just
	// replaced, so the click is tried again then.
	for try := 1; ; try++ {
		stepCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := chromedp.Do(stepCtx, chromedp.Click(css(`#deliveries tr[data-event="scraper.job.finished"] button.redeliver`)),
			chromedp.WaitVisible(css(`#deliveries .status[data-status=delivered]`)))
		cancel()
		if err == nil || try == 3 || !strings.Contains(err.Error(), "node") {
			run("redeliver the finished event", chromedp.WaitVisible(css(`#deliveries .status[data-status=delivered]`)))
			break
		}
	}
	run("redeliver the rest", chromedp.Click(css(`#redeliver-failed`)))
	waitFor(t, time.Minute, "the page after redelivering the rest", func() bool {
		url, err := chromedp.Run(ctx, chromedp.Location())
		return err == nil && strings.Contains(url, "done=redelivered-all")
	})
	jobPath := strings.TrimPrefix(eval(`location.pathname`).(string), "/console/jobs/")
	waitFor(t, time.Minute, "the rest to be delivered", func() bool {
		var log struct {
			Data []struct {
				DeliveryState string `json:"deliveryState"`
			} `json:"data"`
		}
		in.do("GET", "/scrapers/jobs/"+jobPath+"/webhook-deliveries", nil, &log)
		for _, a := range log.Data {
			if a.DeliveryState != "delivered" {
				return false
			}
		}
		return len(log.Data) > 0
	})
	run("see every delivery done", chromedp.Reload(), chromedp.WaitVisible(css(`#deliveries`)))
	if got := eval(`document.querySelectorAll("#deliveries .status:not([data-status=delivered])").length === 0 && !document.querySelector("#redeliver-failed")`); got != true {
		t.Errorf("after every redelivery the log still shows undelivered events")
	}

	// The jobs list shows the job, finished.
	run("open the jobs", chromedp.Navigate(in.base+"/console/"), chromedp.WaitVisible(css(`table.jobs`)))
	if status := text(`table.jobs [data-field=status]`); !strings.Contains(status, "finished") {
		t.Errorf("jobs list status: %q", status)
	}
	shot("jobs")

	// The list follows jobs live: a new job is announced, and a running
	// job's row changes in place when it ends.
	var slow jobRecord
	if code := in.do("POST", "/scrapers/crawler/jobs", fmt.Sprintf(`{"urls":[%q],"maxDepth":0}`, site.URL+"/slow"), &slow); code != 200 {
		t.Fatalf("create a slow job: %d", code)
	}
	run("see the new job announced", chromedp.WaitVisible(css(`#new-jobs`)))
	run("reload the list", chromedp.Click(css(`#new-jobs a`)), chromedp.WaitVisible(css(fmt.Sprintf(`tr[data-job="%d"]`, slow.ID))))
	eval(`window.__marker = "same list"`)
	close(gate)
	run("watch the slow job finish in the list", chromedp.WaitVisible(css(fmt.Sprintf(`tr[data-job="%d"] [data-status=finished]`, slow.ID))))
	if got := eval(`window.__marker`); got != "same list" {
		t.Errorf("the list reloaded to show the end of the job")
	}
	if rows := text(fmt.Sprintf(`tr[data-job="%d"] [data-field=rows]`, slow.ID)); rows != "1" {
		t.Errorf("rows of the slow job in the list: %q, want 1", rows)
	}

	// The secret: hidden until asked, then rotated.
	run("open the account", chromedp.Click(css(`nav a[href="/console/account"]`)), chromedp.WaitVisible(css(`#rotate`)))
	if got := eval(`document.querySelector("#secret code").checkVisibility()`); got != false {
		t.Errorf("the secret is visible before it is asked for")
	}
	shot("account")
	run("reveal the secret", chromedp.Click(css(`#secret summary`)))
	before := text(`#secret code`)
	if !strings.HasPrefix(before, "whsec_") {
		t.Fatalf("secret shown: %q", before)
	}
	run("rotate it", chromedp.Click(css(`#rotate`)), chromedp.WaitVisible(css(`#previous-secret`)),
		chromedp.Click(css(`#secret summary`)))
	after := text(`#secret code`)
	if after == before || !strings.HasPrefix(after, "whsec_") {
		t.Errorf("after rotation the secret is %q (before %q)", after, before)
	}
	var account struct {
		WebhookSecret string `json:"webhookSecret"`
	}
	in.do("GET", "/account", nil, &account)
	if account.WebhookSecret != after {
		t.Errorf("the API's secret %q is not the one the console shows, %q", account.WebhookSecret, after)
	}

	// Signing out ends the session.
	run("sign out", chromedp.Click(css(`.signout button`)), chromedp.WaitVisible(css(`#key`)),
		chromedp.Navigate(in.base+"/console/account"), chromedp.WaitVisible(css(`#key`)))
}
