package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/scrape"
	"github.com/trawlhq/trawl/store"
)

// strict is a scraper whose parameters must hold "ok": true, and whose one
// task per "n" yields one row.
type strict struct {
	busy atomic.Int64 // tasks that answer "host busy" before running
}

func (*strict) Info() scrape.Info {
	return scrape.Info{Slug: "strict", Name: "Strict", OneRowPerTask: true}
}

func (*strict) Parse(body json.RawMessage) (json.RawMessage, error) {
	var p struct {
		OK    json.RawMessage `json:"ok"`
		Tasks int             `json:"tasks"`
	}
	_ = json.Unmarshal(body, &p)
	switch string(p.OK) {
	case "true":
		return json.Marshal(map[string]int{"tasks": max(p.Tasks, 1)})
	case "":
		var inv trawl.Invalid
		inv.Add("ok", "is required")
		return nil, inv.Err()
	case `"internal"`:
		return nil, errors.New("the scraper broke")
	default:
		return nil, trawl.Errorf(trawl.EINVALID, "ok must be true")
	}
}

func (*strict) Plan(j *trawl.Job) ([]trawl.TaskSpec, error) {
	var p struct{ Tasks int }
	if err := json.Unmarshal(j.Params, &p); err != nil {
		return nil, err
	}
	if p.Tasks > 50 {
		return nil, errors.New("too many tasks to plan")
	}
	specs := make([]trawl.TaskSpec, p.Tasks)
	for i := range specs {
		specs[i] = trawl.TaskSpec{Key: strings.Repeat("k", i+1)}
	}
	return specs, nil
}

func (s *strict) Run(_ context.Context, _ *trawl.Job, t *trawl.Task) (*scrape.Result, error) {
	if s.busy.Add(-1) >= 0 {
		return nil, &scrape.BusyError{Host: "example.org", Wait: 10 * time.Millisecond}
	}
	return &scrape.Result{Credits: 1, Rows: []json.RawMessage{json.RawMessage(`{"key":"` + t.Key + `"}`)}}, nil
}

// TestCreateRejects checks every way a create body can be wrong: each is a
// clear error naming the field, and nothing is stored.
func TestCreateRejects(t *testing.T) {
	t.Parallel()
	h := newHarness(t, &strict{}, harnessOptions{})
	for _, tt := range []struct {
		name, slug, body string
		code             string
		field            string // "" when the error names no field
	}{
		{"unknown scraper", "nope", `{"ok":true}`, trawl.ENOTFOUND, ""},
		{"empty body", "strict", ``, trawl.EMALFORMED, ""},
		{"array body", "strict", `[1]`, trawl.EMALFORMED, ""},
		{"broken JSON", "strict", `{"ok":`, trawl.EMALFORMED, ""},
		{"missing field", "strict", `{}`, trawl.EINVALID, "ok"},
		{"scraper error without fields", "strict", `{"ok":false}`, trawl.EINVALID, "body"},
		{"negative limit", "strict", `{"ok":true,"limit":-1}`, trawl.EINVALID, "limit"},
		{"fractional limit", "strict", `{"ok":true,"limit":1.5}`, trawl.EINVALID, "limit"},
		{"webhook not an object", "strict", `{"ok":true,"webhook":"https://x.example"}`, trawl.EINVALID, "webhook"},
		{"webhook url a number", "strict", `{"ok":true,"webhook":{"url":5}}`, trawl.EINVALID, "webhook"},
		{"webhook ordered a string", "strict", `{"ok":true,"webhook":{"url":"https://x.example","ordered":"yes"}}`, trawl.EINVALID, "webhook"},
		{"webhook headers a list", "strict", `{"ok":true,"webhook":{"url":"https://x.example","headers":["a"]}}`, trawl.EINVALID, "webhook"},
		{"webhook attempts a bool", "strict", `{"ok":true,"webhook":{"url":"https://x.example","maxAttempts":true}}`, trawl.EINVALID, "webhook"},
		{"webhook ftp", "strict", `{"ok":true,"webhook":{"url":"ftp://x.example"}}`, trawl.EINVALID, "webhook.url"},
	} {
		_, err := h.svc.Create(t.Context(), h.acc.ID, tt.slug, []byte(tt.body))
		if got := trawl.ErrorCode(err); got != tt.code {
			t.Errorf("%s: got %v (code %s), want code %s", tt.name, err, got, tt.code)
			continue
		}
		var te *trawl.Error
		if tt.field != "" && (!errors.As(err, &te) || len(te.Fields) == 0 || te.Fields[0].Field != tt.field) {
			t.Errorf("%s: %v does not name field %q", tt.name, err, tt.field)
		}
	}
	if _, err := h.svc.Create(t.Context(), h.acc.ID, "strict", []byte(`{"ok":"internal"}`)); err == nil || trawl.ErrorCode(err) != trawl.EINTERNAL {
		t.Errorf("a scraper's own failure: %v, want an internal error", err)
	}
	if _, total, err := h.db.Jobs(t.Context(), store.JobFilter{AccountID: h.acc.ID, Limit: 10}); err != nil || total != 0 {
		t.Errorf("%d jobs stored by rejected creates (%v)", total, err)
	}
	if got := h.svc.Scrapers().Slugs(); len(got) != 1 || got[0] != "strict" {
		t.Errorf("scrapers %v", got)
	}
}

// TestOneRowPerTaskLimitAndBusyHosts checks that a scraper with one row per
// task gets no more tasks than the limit, that a busy host makes tasks step
// aside and come back rather than fail, and that stopping a finished job
// changes nothing.
func TestOneRowPerTaskLimitAndBusyHosts(t *testing.T) {
	t.Parallel()
	sc := &strict{}
	sc.busy.Store(3)
	h := newHarness(t, sc, harnessOptions{})
	job, err := h.svc.Create(t.Context(), h.acc.ID, "strict", []byte(`{"ok":true,"tasks":10,"limit":4}`))
	if err != nil {
		t.Fatal(err)
	}
	end := h.waitEnd(t, job.ID)
	if end.Status != trawl.StatusFinished || end.DataRowsCount != 4 || end.TaskCount != 4 || end.StopReason != trawl.StopReasonLimit {
		t.Fatalf("job %+v: want finished at its limit of 4 rows with only 4 tasks", end)
	}
	if sc.busy.Load() >= 0 {
		t.Errorf("the busy host was never reported")
	}
	again, err := h.svc.Stop(t.Context(), h.acc.ID, job.ID)
	if err != nil || again.Status != trawl.StatusFinished || again.StopReason != trawl.StopReasonLimit {
		t.Errorf("stop after the end: %+v, %v; want the record unchanged", again, err)
	}
	if _, err := h.svc.Stop(t.Context(), h.acc.ID, job.ID+100); trawl.ErrorCode(err) != trawl.ENOTFOUND {
		t.Errorf("stop a missing job: %v", err)
	}

	// A plan that fails fails the job, with the reason.
	failed, err := h.svc.Create(t.Context(), h.acc.ID, "strict", []byte(`{"ok":true,"tasks":51,"webhook":{"url":"https://hooks.example.org/x"}}`))
	if err != nil {
		t.Fatal(err)
	}
	end = h.waitEnd(t, failed.ID)
	if end.Status != trawl.StatusFailed || !strings.Contains(end.StopReason, "too many tasks") {
		t.Errorf("job %+v: want failed with the plan's error", end)
	}
	events, _ := h.db.Events(t.Context(), failed.ID)
	if len(events) != 1 || events[0].Type != trawl.EventJobFinished {
		t.Errorf("events of a job that failed to start: %v; want just the finished event", events)
	}
}
