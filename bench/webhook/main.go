// Command webhook benchmarks trawl's webhook delivery path: the SQLite
// outbox, River and the delivery worker, wired as `trawl serve` wires them,
// delivering to a local receiver on 127.0.0.1.
//
// Each run builds the path on a fresh temporary database and measures:
//
//   - throughput: -events events committed as fast as possible, -batch to a
//     transaction, as the jobs service commits them; deliveries per second
//     from the first commit to the last 2xx;
//   - latency: -rate events per second offered for -duration; the time from
//     each event's commit to its arrival at the receiver (p50, p90, p99, max);
//   - ceiling: a bare net/http POST loop with the same body, as many requests
//     in flight as the path can have to one host, against the same receiver,
//     for -events requests; requests per second.
//
// It prints a table of the runs with their median and spread, and where the
// delivery path spent its time. It sends nothing anywhere but 127.0.0.1 and
// stops by itself.
//
// Usage:
//
//	go run ./bench/webhook [flags]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/trawlhq/trawl/engine"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench/webhook:", err)
		os.Exit(1)
	}
}

// options are the command's flags.
type options struct {
	events            int
	batch             int
	rate              int
	duration          time.Duration
	hostConcurrency   int
	workers           int
	fetchCooldown     time.Duration
	fetchPollInterval time.Duration
	promoteInterval   time.Duration
	bodyBytes         int
	runs              int
	phases            map[string]bool
	maxWait           time.Duration
	cpuprofile        string
	verbose           bool
	databaseURL       string
}

func parse(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("bench/webhook", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.events, "events", 20000, "events in the throughput run (and requests in the ceiling run)")
	fs.IntVar(&o.batch, "batch", 100, "most events committed in one transaction")
	fs.IntVar(&o.rate, "rate", 1000, "events offered per second in the latency run")
	fs.DurationVar(&o.duration, "duration", 20*time.Second, "length of the latency run")
	fs.IntVar(&o.hostConcurrency, "host-concurrency", 8, "deliveries in flight to one host (serve: --webhook-host-concurrency)")
	fs.IntVar(&o.workers, "workers", 32, "first-attempt delivery workers; retries get half (serve: --webhook-workers)")
	fs.DurationVar(&o.fetchCooldown, "fetch-cooldown", engine.DefaultFetchCooldown, "River FetchCooldown (serve's default)")
	fs.DurationVar(&o.fetchPollInterval, "fetch-poll-interval", engine.DefaultFetchPollInterval, "River FetchPollInterval (serve's default)")
	fs.DurationVar(&o.promoteInterval, "promote-interval", engine.DefaultPromoteInterval, "how often scheduled River jobs are made available")
	fs.IntVar(&o.bodyBytes, "body-bytes", 1024, "approximate size of each webhook body")
	fs.IntVar(&o.runs, "runs", 3, "times to repeat the whole measurement")
	phases := fs.String("phases", "throughput,river,latency,ceiling", "which measurements to make, comma-separated (river: River alone, the throughput run's reference)")
	fs.DurationVar(&o.maxWait, "max-wait", 5*time.Minute, "longest wait for deliveries to finish after the last commit")
	fs.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of the first throughput run to this file")
	fs.BoolVar(&o.verbose, "v", false, "log the delivery path's warnings to stderr")
	fs.StringVar(&o.databaseURL, "database-url", "", "a PostgreSQL server to run on (a fresh database is created and dropped); default: SQLite")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	o.phases = map[string]bool{}
	for p := range strings.SplitSeq(*phases, ",") {
		switch p = strings.TrimSpace(p); p {
		case "throughput", "river", "latency", "ceiling":
			o.phases[p] = true
		case "":
		default:
			return nil, fmt.Errorf("-phases: unknown phase %q", p)
		}
	}
	switch {
	case o.events < 1, o.batch < 1, o.rate < 1, o.runs < 1, o.workers < 1, o.hostConcurrency < 1:
		return nil, errors.New("-events, -batch, -rate, -runs, -workers and -host-concurrency must be at least 1")
	case o.duration <= 0, o.maxWait <= 0, o.fetchCooldown <= 0, o.fetchPollInterval <= 0, o.promoteInterval <= 0:
		return nil, errors.New("-duration, -max-wait and the intervals must be positive")
	}
	return o, nil
}

// result is one run's measurements; a phase not run is zero.
type result struct {
	tp                    throughput
	river                 throughput // River alone, the reference of tp
	lat                   latency
	ceil                  ceiling
	loadBefore, loadAfter string // 1-minute load average: the machine is shared
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parse(args, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.DiscardHandler)
	if o.verbose {
		log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	rcv, err := startReceiver()
	if err != nil {
		return err
	}
	defer rcv.close()

	printHeader(stdout, o)
	var results []result
	for i := range o.runs {
		r := result{loadBefore: loadAvg()}
		if o.phases["throughput"] {
			profile := ""
			if i == 0 {
				profile = o.cpuprofile
			}
			if r.tp, err = runThroughput(ctx, o, rcv, log, profile); err != nil {
				return fmt.Errorf("run %d: throughput: %w", i+1, err)
			}
		}
		if o.phases["river"] {
			if r.river, err = runRiver(ctx, o, rcv, log); err != nil {
				return fmt.Errorf("run %d: River alone: %w", i+1, err)
			}
		}
		if o.phases["latency"] {
			if r.lat, err = runLatency(ctx, o, rcv, log); err != nil {
				return fmt.Errorf("run %d: latency: %w", i+1, err)
			}
		}
		if o.phases["ceiling"] {
			if r.ceil, err = runCeiling(ctx, o, rcv); err != nil {
				return fmt.Errorf("run %d: ceiling: %w", i+1, err)
			}
		}
		r.loadAfter = loadAvg()
		results = append(results, r)
		printRun(stdout, i+1, r)
	}
	printSummary(stdout, o, results)
	return nil
}
