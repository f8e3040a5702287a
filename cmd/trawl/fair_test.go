package main

import (
	"bufio"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestFairScraping runs a large crawl for one account and, while it runs, a
// one-page crawl for another. The large job never has more than the
// per-account share of tasks in the queue, so the small job does not wait
// behind it: it finishes while the large job has done only a small part of
// its work.
func TestFairScraping(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := testEnv(map[string]string{"TRAWL_DATA_DIR": dir})
	in := start(t, env)
	otherKey := addAccount(t, dir, "other")
	const pages = 2000 // at the polite 10 requests/s, about 200 s of work
	big := newSite(t, pages, false)
	var rec jobRecord
	if code := in.do("POST", "/scrapers/crawler/jobs", fmt.Sprintf(`{"urls":[%q]}`, big.URL), &rec); code != 200 {
		t.Fatalf("create the large job: %d", code)
	}
	bigID := rec.ID
	waitFor(t, 60*time.Second, "the large job's first pages", func() bool {
		return in.job(bigID).DataRowsCount >= 5
	})
	// The queue holds only the account's share of the large job (32), and
	// for a moment the River jobs of tasks that just ended, which River marks
	// completed in batches: at most one a worker (16). Without the share it
	// would hold all 2,001.
	if depth := scrapeQueueDepth(t, in); depth > 32+16 {
		t.Errorf("%d scrape jobs in the queue while one account crawls %d pages, want at most its share of 32 (and 16 finishing)", depth, pages)
	}

	var usage struct {
		Data struct {
			ConcurrentTasks int64 `json:"concurrentTasks"`
			TaskConcurrency int64 `json:"taskConcurrency"`
		} `json:"data"`
	}
	if code := in.do("GET", "/user/me/usage", nil, &usage); code != 200 || usage.Data.TaskConcurrency != 32 ||
		usage.Data.ConcurrentTasks < 1 || usage.Data.ConcurrentTasks > 32 {
		t.Errorf("usage while the large job runs: %d %+v; want between 1 and 32 of 32 tasks", code, usage.Data)
	}

	small := newSite(t, 0, false)
	other := &instance{t: t, base: in.base, key: otherKey, client: in.client}
	var smallRec jobRecord
	if code := other.do("POST", "/scrapers/crawler/jobs", fmt.Sprintf(`{"urls":[%q]}`, small.URL), &smallRec); code != 200 {
		t.Fatalf("create the small job: %d", code)
	}
	end := other.waitTerminal(smallRec.ID, 120*time.Second)
	if end.Status != "finished" || end.DataRowsCount < 1 {
		t.Fatalf("small job %+v", end)
	}
	done := in.job(bigID).DataRowsCount
	t.Logf("the small job finished when the large one had %d of %d pages", done, pages+1)
	if done > pages/4 {
		t.Errorf("the small job finished only after the large one had done %d of %d pages: it waited its turn behind it", done, pages+1)
	}
	if _, err := in.stopJob(bigID); err != nil {
		t.Fatal(err)
	}
}

// job reads a job record.
func (in *instance) job(id int64) jobRecord {
	in.t.Helper()
	var rec jobRecord
	if code := in.do("GET", fmt.Sprintf("/scrapers/jobs/%d", id), nil, &rec); code != 200 {
		in.t.Fatalf("get job %d: %d", id, code)
	}
	return rec
}

// stopJob stops a job.
func (in *instance) stopJob(id int64) (int, error) {
	code := in.do("DELETE", fmt.Sprintf("/scrapers/jobs/%d", id), nil, nil)
	if code != 200 {
		return code, fmt.Errorf("stop job %d: %d", id, code)
	}
	return code, nil
}

// scrapeQueueDepth sums the scrape queue's unfinished River jobs from
// /metrics.
func scrapeQueueDepth(t *testing.T, in *instance) int {
	t.Helper()
	resp, err := http.Get(in.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	n := 0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, `trawl_queue_jobs{queue="scrape"`) {
			f := strings.Fields(line)
			v, _ := strconv.ParseFloat(f[len(f)-1], 64)
			n += int(v)
		}
	}
	return n
}
