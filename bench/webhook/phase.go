package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trawlhq/trawl"
)

// throughput is what one throughput run measured.
type throughput struct {
	events    int
	received  int           // distinct webhook-ids at the receiver
	dups      int           // requests for an id already received
	commitDur time.Duration // first commit to last commit
	lastTwoXX time.Duration // first commit to the last 2xx
	recorded  time.Duration // first commit to the last attempt recorded, 0 if not all were
	cpu       time.Duration // CPU time of this process during the run
	serverCPU time.Duration // CPU time of the PostgreSQL server during the run
	diag      diagnostics
}

// cpuPer is the process's CPU time per delivered event.
func (t throughput) cpuPer() time.Duration {
	if t.received == 0 {
		return 0
	}
	return t.cpu / time.Duration(t.received)
}

// serverCPUPer is the PostgreSQL server's CPU time per delivered event.
func (t throughput) serverCPUPer() time.Duration {
	if t.received == 0 {
		return 0
	}
	return t.serverCPU / time.Duration(t.received)
}

// rate is deliveries per second from the first commit to the last 2xx.
func (t throughput) rate() float64 { return perSecond(t.received, t.lastTwoXX) }

// diagnostics say where the delivery path spent its time during a run.
type diagnostics struct {
	writerWaits  int64         // times a goroutine waited for its turn to write
	writerWaited time.Duration // total time spent waiting for it
	writerBusy   float64       // share of the run the writer was in use
	read         time.Duration // mean worker read of what an attempt needs (event, job, account)
	record       time.Duration // mean record transaction, waiting for the writer included
	send         time.Duration // mean HTTP attempt
	attempts     int64
	notDelivered int64 // attempts that did not end delivered
	jobs         int64 // delivery jobs run: each reads its batch of events once
}

func (p *path) diagnostics(w *writerWatch) diagnostics {
	s := p.stages
	waits, waited, busy := w.end()
	return diagnostics{
		writerWaits:  waits,
		writerWaited: waited,
		writerBusy:   busy,
		read:         s.read.mean(),
		record:       s.record.mean(),
		send:         s.send.mean(),
		attempts:     s.send.n.Load(),
		notDelivered: s.other.Load(),
		jobs:         s.read.n.Load(),
	}
}

// writerWatch watches the database writer during a run: how often and how
// long goroutines waited for it, and, sampled every millisecond, how much of
// the time it was in use.
type writerWatch struct {
	stats         func() sql.DBStats
	before        sql.DBStats
	busy, samples int
	stop, done    chan struct{}
}

func (p *path) watchWriter() *writerWatch {
	w := &writerWatch{stats: p.db.WriterStats, before: p.db.WriterStats(), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-w.stop:
				return
			case <-t.C:
				w.samples++
				if w.stats().InUse > 0 {
					w.busy++
				}
			}
		}
	}()
	return w
}

// end stops the watch and returns the waits, the time waited and the share
// of samples that found the writer in use.
func (w *writerWatch) end() (int64, time.Duration, float64) {
	w.close()
	after := w.stats()
	busy := 0.0
	if w.samples > 0 {
		busy = float64(w.busy) / float64(w.samples)
	}
	return after.WaitCount - w.before.WaitCount, after.WaitDuration - w.before.WaitDuration, busy
}

// close stops the sampling; it may be called more than once.
func (w *writerWatch) close() {
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	<-w.done
}

// runThroughput commits o.events events as fast as it can, o.batch to a
// transaction, while the path delivers them, and times the deliveries.
func runThroughput(ctx context.Context, o *options, rcv *receiver, log *slog.Logger, profile string) (throughput, error) {
	p, err := newPath(ctx, o, rcv.url, log)
	if err != nil {
		return throughput{}, err
	}
	defer p.close()
	events := make([]*trawl.Event, o.events)
	for i := range events {
		if events[i], err = p.newEvent(o.bodyBytes); err != nil {
			return throughput{}, err
		}
	}
	rcv.reset(o.events)
	watch := p.watchWriter()
	defer watch.close()
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return throughput{}, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return throughput{}, err
		}
		defer pprof.StopCPUProfile()
	}

	cpu, server := cpuTime(), serverCPU()
	var first time.Time
	for i := 0; i < len(events); i += o.batch {
		if err := p.commit(ctx, events[i:min(i+o.batch, len(events))]); err != nil {
			return throughput{}, fmt.Errorf("commit events: %w", err)
		}
		if i == 0 {
			first = time.Now()
		}
	}
	res := throughput{events: o.events, commitDur: time.Since(first)}
	rcv.wait(ctx, o.maxWait)
	done, err := p.waitSettled(ctx, o.events, o.maxWait)
	if err != nil {
		return res, err
	}
	if !done.IsZero() {
		res.recorded = done.Sub(first)
	}
	res.tally(o, rcv, first, cpu, server)
	res.diag = p.diagnostics(watch)
	return res, nil
}

// latency is what one latency run measured.
type latency struct {
	offered   int
	received  int
	dups      int
	offerRate float64 // events committed per second, as achieved
	perTx     float64 // mean events per transaction
	p50, p90  time.Duration
	p99, max  time.Duration
	diag      diagnostics
}

// runLatency commits events at o.rate for o.duration, each as soon as it is
// due (the events due at once share a transaction), and measures each one
// from its commit to its arrival at the receiver.
func runLatency(ctx context.Context, o *options, rcv *receiver, log *slog.Logger) (latency, error) {
	p, err := newPath(ctx, o, rcv.url, log)
	if err != nil {
		return latency{}, err
	}
	defer p.close()
	total := int(float64(o.rate) * o.duration.Seconds())
	if total < 1 {
		return latency{}, fmt.Errorf("-rate %d for -duration %v offers no event", o.rate, o.duration)
	}
	rcv.reset(total)
	watch := p.watchWriter()
	defer watch.close()
	committed := make(map[string]time.Time, total)
	interval := time.Second / time.Duration(o.rate)
	start := time.Now()
	var txs int
	var firstCommit, lastCommit time.Time
	for sent := 0; sent < total; {
		due := min(total, int(time.Since(start)/interval)+1)
		if due <= sent {
			time.Sleep(time.Until(start.Add(time.Duration(sent) * interval))) // pacing
			continue
		}
		batch := make([]*trawl.Event, 0, min(due-sent, o.batch))
		for range cap(batch) {
			ev, err := p.newEvent(o.bodyBytes)
			if err != nil {
				return latency{}, err
			}
			batch = append(batch, ev)
		}
		if err := p.commit(ctx, batch); err != nil {
			return latency{}, fmt.Errorf("commit events: %w", err)
		}
		at := time.Now()
		for _, ev := range batch {
			committed[ev.ID] = at
		}
		if txs == 0 {
			firstCommit = at
		}
		lastCommit = at
		txs++
		sent += len(batch)
	}
	rcv.wait(ctx, o.maxWait)
	arrived, dups, _ := rcv.snapshot()
	res := latency{offered: total, received: len(arrived), dups: dups, perTx: float64(total) / float64(txs)}
	res.offerRate = perSecond(total-1, lastCommit.Sub(firstCommit))
	took := make([]time.Duration, 0, len(arrived))
	for id, at := range arrived {
		if c, ok := committed[id]; ok {
			took = append(took, max(0, at.Sub(c)))
		}
	}
	slices.Sort(took)
	res.p50, res.p90, res.p99 = quantile(took, .50), quantile(took, .90), quantile(took, .99)
	if len(took) > 0 {
		res.max = took[len(took)-1]
	}
	if _, err := p.waitSettled(ctx, total, o.maxWait); err != nil {
		return res, err
	}
	res.diag = p.diagnostics(watch)
	return res, nil
}

// ceiling is what one run of the bare HTTP loop measured.
type ceiling struct {
	requests    int
	concurrency int
	failed      int64
	took        time.Duration
}

func (c ceiling) rate() float64 { return perSecond(c.requests-int(c.failed), c.took) }

// runCeiling POSTs o.events requests with a body like the deliveries' to
// the receiver from as many goroutines as the delivery path can have in
// flight to one host, over plain keep-alive net/http.
func runCeiling(ctx context.Context, o *options, rcv *receiver) (ceiling, error) {
	ev, err := newEvent(&trawl.Job{ID: 1, Status: trawl.StatusInProgress}, o.bodyBytes)
	if err != nil {
		return ceiling{}, err
	}
	body := ev.Payload
	conc := min(o.workers, o.hostConcurrency)
	tr := &http.Transport{MaxIdleConns: conc, MaxIdleConnsPerHost: conc, IdleConnTimeout: 90 * time.Second}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 15 * time.Second}
	rcv.reset(o.events)
	res := ceiling{requests: o.events, concurrency: conc}
	var next atomic.Int64
	var failed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range conc {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(o.events) || ctx.Err() != nil {
					return
				}
				if !post(ctx, client, rcv.url, "ceil_"+strconv.FormatInt(i, 10), body) {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	res.took, res.failed = time.Since(start), failed.Load()
	return res, ctx.Err()
}

// post sends one webhook-like request and reports whether a 2xx came back.
func post(ctx context.Context, c *http.Client, url, id string, body []byte) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "trawl/bench")
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(time.Now().Unix(), 10))
	resp, err := c.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode >= 200 && resp.StatusCode <= 299
}

// quantile is the nearest-rank q-quantile of sorted d, zero for none.
func quantile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	i := int(q*float64(len(d))+0.999999) - 1
	return d[min(max(i, 0), len(d)-1)]
}

func perSecond(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}
