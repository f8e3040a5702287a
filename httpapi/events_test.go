package httpapi

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/trawlhq/trawl"
)

// TestEventsRoute: GET /events is documented with its parameters and the
// session scheme, and reaches the stream's handler whatever the caller
// sends: the handler checks the key or session itself.
func TestEventsRoute(t *testing.T) {
	t.Parallel()
	var seen []string
	stream := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.URL.RawQuery+"|"+r.Header.Get("x-api-key")+"|"+r.Header.Get("Cookie"))
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = w.Write([]byte(": hello\n\n"))
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("flush through the API's writers: %v", err)
		}
	})
	b := setup(t, func(c *Config) { c.Events = stream })

	for _, headers := range [][]string{
		{},                // the API key
		{"x-api-key", ""}, // none: the stream answers for itself
		{"x-api-key", "", "Cookie", "trawl_session=x"}, // the console's session
	} {
		w := b.do(t, http.MethodGet, "/events?kinds=job&jobId=7", "", headers...)
		if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "text/event-stream" || w.Body.String() != ": hello\n\n" {
			t.Errorf("GET /events %v: %d %q %q", headers, w.Code, w.Header().Get("Content-Type"), w.Body.String())
		}
	}
	want := []string{"kinds=job&jobId=7|" + key1 + "|", "kinds=job&jobId=7||", "kinds=job&jobId=7||trawl_session=x"}
	if len(seen) != 3 || seen[0] != want[0] || seen[1] != want[1] || seen[2] != want[2] {
		t.Errorf("the stream saw %q, want %q", seen, want)
	}

	doc := serveSpec(t, b)
	op, ok := doc.Paths["/events"]["get"]
	if !ok {
		t.Fatal("GET /events is not in the document")
	}
	if _, ok := op.Responses["200"].Content["text/event-stream"]; !ok {
		t.Errorf("200 of GET /events is not text/event-stream: %+v", op.Responses["200"])
	}
	params := map[string]string{}
	for _, p := range op.Parameters {
		params[p.Name] = p.In
	}
	for name, in := range map[string]string{"jobId": "query", "kinds": "query", "Last-Event-ID": "header", "lastEventId": "query"} {
		if params[name] != in {
			t.Errorf("parameter %s: in %q, want %q", name, params[name], in)
		}
	}
	schemes := map[string]bool{}
	for _, s := range *op.Security {
		for name := range s {
			schemes[name] = true
		}
	}
	if !schemes[securityAPIKey] || !schemes[securityBearer] || !schemes[securitySession] {
		t.Errorf("security of GET /events: %v", *op.Security)
	}
	if doc.Components.SecuritySchemes[securitySession]["in"] != "cookie" {
		t.Errorf("session scheme: %v", doc.Components.SecuritySchemes[securitySession])
	}
}

func TestJobAndAttemptJSON(t *testing.T) {
	t.Parallel()
	b := setup(t)
	job := b.store.jobs[7]
	got, err := JobEncoder(b.config)(job)
	if err != nil {
		t.Fatal(err)
	}
	w := b.do(t, http.MethodGet, "/scrapers/jobs/7", "")
	if string(got) != strings.TrimSpace(w.Body.String()) {
		t.Errorf("JobJSON:\n%s\nGET /scrapers/jobs/7:\n%s", got, w.Body.String())
	}
	a := &trawl.DeliveryAttempt{ID: 3, EventID: "msg_1", JobID: 7, Attempt: 2, StatusCode: 500, ErrorClass: "http_status",
		Error: "HTTP 500", Duration: 1500 * time.Microsecond, EventType: trawl.EventJobStarted, EventState: trawl.EventFailed,
		CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	got, err = AttemptJSON(a)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"jobId":7,"id":3,"deliveryId":"msg_1","event":"scraper.job.started","deliveryState":"failed","attempt":2,` +
		`"createdAt":"2026-01-02T03:04:05.000Z","durationMs":1.5,"statusCode":500,"errorClass":"http_status","error":"HTTP 500","responseExcerpt":""}`
	if string(got) != want {
		t.Errorf("AttemptJSON:\n got %s\nwant %s", got, want)
	}
}
