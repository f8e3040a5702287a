package web

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/trawlhq/trawl"
)

// view is what the layout needs besides a page's own data.
type view struct {
	Title   string
	Nav     string // the menu entry to mark as current
	Account *trawl.Account
	CSRF    string
	Notice  string // a one-line confirmation of the last action
	Live    string // the stream query the page's script follows; "" = none
	// LiveFrom is the stream position taken before the page's data was
	// read: the script's stream starts there, so that no change made while
	// the page loads is missed.
	LiveFrom string
	Page     any
}

// pageNames are the templates under templates/, each rendered inside
// layout.html.
var pageNames = []string{"login", "jobs", "job", "new", "account", "error"}

func parsePages() map[string]*template.Template {
	funcs := template.FuncMap{
		"time":       timeHTML,
		"timePtr":    timePtrHTML,
		"duration":   formatDuration,
		"short":      func(s string, n int) string { return truncate(s, n) },
		"isLong":     func(s string, n int) bool { return utf8.RuneCountInString(s) > n },
		"statusIcon": statusIcon,
		"add":        func(a, b int64) int64 { return a + b },
		"i64":        func(v int) int64 { return int64(v) },
	}
	pages := map[string]*template.Template{}
	for _, name := range pageNames {
		t := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(files, "templates/layout.html", "templates/"+name+".html"))
		pages[name] = t
	}
	return pages
}

// render writes page name inside the layout with status. The page is
// rendered into a buffer first, so a template error is a clean 500.
func (w *Console) render(rw http.ResponseWriter, r *http.Request, status int, name string, v *view, data any) {
	v.Page = data
	var buf bytes.Buffer
	if err := w.pages[name].Execute(&buf, v); err != nil {
		w.c.Logger.ErrorContext(r.Context(), "render console page", "page", name, "err", err)
		http.Error(rw, "Internal error.", http.StatusInternalServerError)
		return
	}
	rw.Header().Set("Content-Type", "text/html; charset=utf-8")
	rw.WriteHeader(status)
	_, _ = buf.WriteTo(rw)
}

// viewFor starts the view of a signed-in page.
func viewFor(s *session, title, nav string) *view {
	return &view{Title: title, Nav: nav, Account: s.account, CSRF: s.csrf}
}

// timeHTML writes t as a <time> element: UTC text that the page's script
// turns into the viewer's own zone.
func timeHTML(t time.Time) template.HTML {
	if t.IsZero() {
		return "—"
	}
	u := t.UTC()
	return template.HTML(fmt.Sprintf(`<time datetime="%s">%s</time>`,
		u.Format(time.RFC3339Nano), template.HTMLEscapeString(u.Format("2006-01-02 15:04:05 UTC"))))
}

func timePtrHTML(t *time.Time) template.HTML {
	if t == nil {
		return "—"
	}
	return timeHTML(*t)
}

func formatDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return strconv.FormatInt(d.Microseconds(), 10) + " µs"
	case d < 10*time.Second:
		return strconv.FormatInt(d.Milliseconds(), 10) + " ms"
	default:
		return d.Round(100 * time.Millisecond).String()
	}
}

// truncate cuts s to n characters, adding an ellipsis when it cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n])) + "…"
}

// statusIcon is a symbol for a job status or delivery state, so that they
// read without colour.
func statusIcon(s string) string {
	switch s {
	case "pending":
		return "○"
	case "in_progress":
		return "◐"
	case "finished", "delivered":
		return "✓"
	case "stopped":
		return "■"
	case "failed", "gone":
		return "✗"
	}
	return "·"
}

// pager is the paging block of a table.
type pager struct {
	Page, Last, Total int64
	Prev, Next        string // URLs; "" when none
}

// newPager pages total items limit at a time; link(n) is the URL of page n.
func newPager(page, limit, total int64, link func(int64) string) pager {
	last := max(1, (total+limit-1)/limit)
	p := pager{Page: page, Last: last, Total: total}
	if page > 1 {
		p.Prev = link(min(page-1, last))
	}
	if page < last {
		p.Next = link(page + 1)
	}
	return p
}

// pageParam reads a positive page number from the query; anything else is
// page 1.
func pageParam(r *http.Request, name string) int64 {
	n, err := strconv.ParseInt(r.URL.Query().Get(name), 10, 64)
	if err != nil || n < 1 || n > 1e9 {
		return 1
	}
	return n
}
