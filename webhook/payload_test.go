package webhook

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/trawlhq/trawl"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func TestPayloadGolden(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 26, 12, 30, 45, 123456789, time.UTC)
	running := &trawl.Job{ID: 416349, Status: trawl.StatusInProgress, DataRowsCount: 2, CreditsSpent: 3}
	limited := &trawl.Job{ID: 416349, Status: trawl.StatusFinished, StopReason: trawl.StopReasonLimit, DataRowsCount: 50, CreditsSpent: 51}
	done := &trawl.Job{ID: 7, Status: trawl.StatusFinished, DataRowsCount: 0}
	failed := &trawl.Job{ID: 8, Status: trawl.StatusFailed, StopReason: "read crawler params: unexpected end of JSON input"}
	rows := []json.RawMessage{
		json.RawMessage(`{"url":"https://example.org/","statusCode":200,"statusText":"OK","title":"Home","depth":0,"text":"Hi"}`),
		json.RawMessage(`{"url":"https://example.org/missing","statusCode":404,"depth":1,"error":"Page not found"}`),
	}
	links := map[string]string{"json": "https://trawl.example/exports/t.json", "csv": "https://trawl.example/exports/t.csv", "xlsx": "https://trawl.example/exports/t.xlsx"}
	tests := []struct {
		name  string
		job   *trawl.Job
		typ   string
		rows  []json.RawMessage
		links any
	}{
		{"started", running, trawl.EventJobStarted, nil, nil},
		{"data_scraped", running, trawl.EventDataScraped, rows, nil},
		{"data_rows_added", running, trawl.EventDataRowsAdded, rows, nil},
		{"finished_limit", limited, trawl.EventJobFinished, nil, links},
		{"finished_plain", done, trawl.EventJobFinished, nil, nil},
		{"finished_failed", failed, trawl.EventJobFinished, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ev, err := NewEvent(tt.job, tt.typ, tt.rows, now)
			if err != nil {
				t.Fatal(err)
			}
			if tt.links != nil {
				if ev.Payload, err = withLinks(ev.Payload, tt.links); err != nil {
					t.Fatal(err)
				}
			}
			if !strings.HasPrefix(ev.ID, "msg_") || ev.JobID != tt.job.ID || ev.Type != tt.typ {
				t.Errorf("event %+v", ev)
			}
			// Indenting keeps the payload's own key order, so the golden
			// file shows exactly what a receiver gets.
			var indented bytes.Buffer
			if err := json.Indent(&indented, ev.Payload, "", "  "); err != nil {
				t.Fatalf("payload is not JSON: %v", err)
			}
			out := indented.Bytes()
			golden := filepath.Join("testdata", "payload_"+tt.name+".json")
			if *update {
				if err := os.WriteFile(golden, append(out, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(out)+"\n"); diff != "" {
				t.Errorf("payload (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := NewEvent(running, "scraper.job.exploded", nil, now); err == nil {
		t.Errorf("an unknown event type was accepted")
	}
}
