package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trawlhq/trawl/store/postgres/pgtest"
)

// TestMultiNode runs three trawl processes on one PostgreSQL database, an api
// node and two workers, with every setting at its default, submits 20 crawls
// with webhooks, kills one worker with SIGKILL in the middle, and checks that
// the survivor takes back its work at once: every job finishes within 60 s
// of the kill, every page is stored exactly once and every job has exactly
// one finished event, delivered.
func TestMultiNode(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	t.Parallel()
	dbURL := pgtest.URL(t)
	bin := buildBinary(t)
	const jobs, pages = 20, 10
	sites := make([]*site, jobs)
	for i := range sites {
		sites[i] = newSite(t, pages, false)
	}
	rc := &receiver{}
	hook := httptest.NewServer(rc)
	t.Cleanup(hook.Close)
	base := map[string]string{
		"TRAWL_API_KEY":                "trawl_test_Zq8vN3pLw5Kx2RtY7mHc4Jf9Bd6Gs1Ae",
		"TRAWL_ALLOW_PRIVATE_NETWORKS": "true", // the sites and the receiver are on 127.0.0.1
		"TRAWL_DATABASE_URL":           dbURL,
		"TRAWL_ADDR":                   "127.0.0.1:0",
		"TRAWL_SECRET_KEY":             "multinode-test-key-Zq8vN3pLw5Kx2RtY7mHc4Jf9", // one key for every node
	}
	node := func(role string) *process {
		env := map[string]string{"TRAWL_ROLE": role, "TRAWL_DATA_DIR": t.TempDir()}
		for k, v := range base {
			env[k] = v
		}
		return startProcess(t, bin, env)
	}
	api := node("api")
	workerA, workerB := node("worker"), node("worker")

	in := &instance{t: t, base: api.base, key: base["TRAWL_API_KEY"], client: &http.Client{Timeout: 10 * time.Second}}
	t.Cleanup(in.client.CloseIdleConnections)
	ids := make([]int64, jobs)
	for i, s := range sites {
		var rec jobRecord
		if code := in.do("POST", "/scrapers/crawler/jobs", fmt.Sprintf(`{"urls":[%q],"webhook":{"url":%q}}`, s.URL, hook.URL), &rec); code != 200 {
			t.Fatalf("create job %d: status %d", i, code)
		}
		ids[i] = rec.ID
	}
	// A worker node serves probes and metrics, not the API.
	resp, err := http.Get(workerB.base + "/scrapers/jobs")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("a worker node answered the API with %d", resp.StatusCode)
	}

	var stored atomic.Int64
	waitFor(t, 60*time.Second, "a third of the pages", func() bool {
		var list struct {
			Data []jobRecord `json:"data"`
		}
		in.do("GET", "/scrapers/jobs?limit=100", nil, &list)
		n := int64(0)
		for _, j := range list.Data {
			n += j.DataRowsCount
		}
		stored.Store(n)
		return n >= jobs*(pages+1)/3
	})
	if err := workerA.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = workerA.cmd.Wait()
	killed := time.Now()
	t.Logf("killed a worker with %d of %d pages stored", stored.Load(), jobs*(pages+1))

	for i, id := range ids {
		rec := in.waitTerminal(id, time.Until(killed.Add(60*time.Second)))
		if rec.Status != "finished" || rec.DataRowsCount != pages+1 {
			t.Fatalf("job %d: %+v, want finished with %d rows\nworker B:\n%s", i, rec, pages+1, workerB.logs.String())
		}
		seen := map[string]bool{}
		for _, r := range in.allRows(id) {
			u := r["url"].(string)
			if seen[u] {
				t.Fatalf("job %d stored %s twice", id, u)
			}
			seen[u] = true
		}
	}
	waitFor(t, time.Until(killed.Add(60*time.Second)), "every finished event", func() bool {
		for _, id := range ids {
			if len(rc.forJob(id)["scraper.job.finished"]) == 0 {
				return false
			}
		}
		return true
	})
	t.Logf("every job finished and was notified %v after the kill", time.Since(killed).Round(time.Millisecond))
	// One finished event per job. Delivery is at least once: an attempt in
	// flight on the killed node when it died is made again by the survivor,
	// under the same webhook-id, so a receiver that dedupes on it (as
	// Standard Webhooks asks) sees each event once.
	for _, id := range ids {
		got := rc.forJob(id)["scraper.job.finished"]
		seen := map[string]bool{}
		for _, d := range got {
			seen[d.Header.Get("webhook-id")] = true
		}
		if len(seen) != 1 || len(got) > 2 {
			t.Errorf("job %d: %d finished events in %d deliveries, want one event, sent at most twice", id, len(seen), len(got))
		} else if len(got) == 2 {
			t.Logf("job %d: the finished event was in flight on the killed node and was sent again", id)
		}
	}

	// GET /nodes shows the live nodes and the dead one.
	var nodes struct {
		Data []struct {
			ID    string `json:"id"`
			Role  string `json:"role"`
			Alive bool   `json:"alive"`
			AgeMs int64  `json:"ageMs"`
		} `json:"data"`
	}
	if code := in.do("GET", "/nodes", nil, &nodes); code != 200 {
		t.Fatalf("GET /nodes: %d", code)
	}
	alive, dead := 0, 0
	for _, n := range nodes.Data {
		if n.Alive {
			alive++
		} else {
			dead++
		}
	}
	if alive != 2 || dead != 1 {
		t.Errorf("GET /nodes: %+v, want the api node and worker B alive and the killed worker dead", nodes.Data)
	}
}
