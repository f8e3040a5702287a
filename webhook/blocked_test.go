package webhook_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/trawlhq/trawl"
)

// TestBlockedNameIsRetried: a name that resolved to a blocked address may
// resolve elsewhere next time, so the attempt is retried; an address is
// blocked for good (see "private address without the allow flag").
func TestBlockedNameIsRetried(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{guarded: true})
	rcv, target := serve(t, func(int, http.ResponseWriter, *http.Request) {})
	byName := strings.Replace(target, "127.0.0.1", "localhost", 1)
	job, events := b.send(&trawl.Webhook{URL: byName, MaxAttempts: 2}, 1)
	if e := b.settled(events[0].ID, 30*time.Second); e.State != trawl.EventFailed || e.Attempts != 2 {
		t.Fatalf("event %+v, want failed after 2 attempts", e)
	}
	attempts := b.attempts(job.ID)
	if s := strings.Join(statuses(attempts), " "); s != "1:0/blocked 2:0/blocked" {
		t.Errorf("attempts %s", s)
	}
	for _, a := range attempts {
		if a.Error != "blocked by the egress policy" {
			t.Errorf("attempt error %q: want \"blocked by the egress policy\" and no address", a.Error)
		}
	}
	if n := len(rcv.got()); n != 0 {
		t.Errorf("%d requests reached the private receiver", n)
	}
}
