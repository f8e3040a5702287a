package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

// printHeader says what machine and settings the numbers come from.
func printHeader(w io.Writer, o *options) {
	fmt.Fprintf(w, "machine: %d CPUs (%s), %s memory, %s %s/%s, GOMAXPROCS %d\n",
		runtime.NumCPU(), cpuModel(), memTotal(), runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0))
	fmt.Fprintf(w, "path: %d workers (+%d retry), host concurrency %d, FetchCooldown %v, FetchPollInterval %v, promote every %v, body ~%d B",
		o.workers, max(1, o.workers/2), o.hostConcurrency, o.fetchCooldown, o.fetchPollInterval, o.promoteInterval, o.bodyBytes)
	fmt.Fprintf(w, "\nruns: %d × (throughput %d events in transactions of %d; River alone as many; latency %d events/s for %v; ceiling %d requests)\n\n",
		o.runs, o.events, o.batch, o.rate, o.duration, o.events)
}

// printRun prints one run as soon as it is done.
func printRun(w io.Writer, n int, r result) {
	fmt.Fprintf(w, "run %d (load average %s before, %s after)\n", n, r.loadBefore, r.loadAfter)
	if t := r.tp; t.events > 0 {
		fmt.Fprintf(w, "  throughput: %.0f deliveries/s (%d/%d received in %v after the first commit",
			t.rate(), t.received, t.events, t.lastTwoXX.Round(time.Millisecond))
		if t.recorded > 0 {
			fmt.Fprintf(w, "; all recorded after %v", t.recorded.Round(time.Millisecond))
		} else {
			fmt.Fprintf(w, "; NOT all recorded")
		}
		fmt.Fprintf(w, "; commits took %v; %d duplicate requests; CPU %v a delivery)\n", t.commitDur.Round(time.Millisecond),
			t.dups, us(t.cpuPer()))
		printDiag(w, t.diag)
	}
	if t := r.river; t.events > 0 {
		fmt.Fprintf(w, "  River alone: %.0f POSTs/s (%d/%d received in %v after the first commit; commits took %v; CPU %v a POST)",
			t.rate(), t.received, t.events, t.lastTwoXX.Round(time.Millisecond), t.commitDur.Round(time.Millisecond), us(t.cpuPer()))
		if r.tp.events > 0 {
			fmt.Fprintf(w, "; trawl ÷ River alone %.2f", r.tp.rate()/t.rate())
		}
		fmt.Fprintln(w)
	}
	if l := r.lat; l.offered > 0 {
		fmt.Fprintf(w, "  latency: %d/%d received; %.0f events/s offered, %.1f per transaction; commit→2xx p50 %v p90 %v p99 %v max %v; %d duplicate requests\n",
			l.received, l.offered, l.offerRate, l.perTx, ms(l.p50), ms(l.p90), ms(l.p99), ms(l.max), l.dups)
		printDiag(w, l.diag)
	}
	if c := r.ceil; c.requests > 0 {
		fmt.Fprintf(w, "  ceiling: %.0f requests/s (%d in %v at %d in flight, %d failed)",
			c.rate(), c.requests, c.took.Round(time.Millisecond), c.concurrency, c.failed)
		if r.tp.events > 0 {
			fmt.Fprintf(w, "; delivered ÷ ceiling %.2f", r.tp.rate()/c.rate())
		}
		fmt.Fprintln(w)
	}
}

func printDiag(w io.Writer, d diagnostics) {
	fmt.Fprintf(w, "    where: writer connection in use %.0f%% of the time, waited for %d times, %v in all; worker means: delivery read (events, job, account) %v, HTTP attempt %v, record tx %v (wait included); %d attempts in %d delivery jobs, %d not delivered\n",
		d.writerBusy*100, d.writerWaits, d.writerWaited.Round(time.Millisecond), us(d.read), us(d.send), us(d.record),
		d.attempts, d.jobs, d.notDelivered)
}

// printSummary prints the median and spread of each measurement as a
// Markdown table.
func printSummary(w io.Writer, o *options, rs []result) {
	type row struct {
		name string
		v    func(result) float64
		unit string
	}
	var rows []row
	if o.phases["throughput"] {
		rows = append(rows,
			row{"deliveries/s, first commit → last 2xx", func(r result) float64 { return r.tp.rate() }, ""},
			row{"deliveries/s, first commit → all recorded", func(r result) float64 {
				if r.tp.recorded == 0 {
					return 0
				}
				return perSecond(r.tp.events, r.tp.recorded)
			}, ""})
	}
	if o.phases["throughput"] {
		rows = append(rows, row{"CPU per delivery, µs (this process)", func(r result) float64 { return usf(r.tp.cpuPer()) }, ""})
		if o.databaseURL != "" {
			rows = append(rows, row{"CPU per delivery, µs (this process + PostgreSQL)", func(r result) float64 {
				return usf(r.tp.cpuPer() + r.tp.serverCPUPer())
			}, ""})
		}
	}
	if o.phases["river"] {
		rows = append(rows, row{"River alone (reference), POSTs/s", func(r result) float64 { return r.river.rate() }, ""},
			row{"River alone, CPU per POST, µs (this process)", func(r result) float64 { return usf(r.river.cpuPer()) }, ""})
		if o.databaseURL != "" {
			rows = append(rows, row{"River alone, CPU per POST, µs (this process + PostgreSQL)", func(r result) float64 {
				return usf(r.river.cpuPer() + r.river.serverCPUPer())
			}, ""})
		}
		if o.phases["throughput"] {
			rows = append(rows, row{"ratio delivered/s ÷ River alone", func(r result) float64 { return r.tp.rate() / r.river.rate() }, "x"})
		}
	}
	if o.phases["ceiling"] {
		rows = append(rows, row{fmt.Sprintf("bare net/http ceiling, requests/s (%d in flight)", min(o.workers, o.hostConcurrency)),
			func(r result) float64 { return r.ceil.rate() }, ""})
		if o.phases["throughput"] {
			rows = append(rows, row{"ratio delivered/s ÷ ceiling", func(r result) float64 { return r.tp.rate() / r.ceil.rate() }, "x"})
		}
	}
	if o.phases["latency"] {
		rows = append(rows,
			row{"latency run: events/s offered (achieved)", func(r result) float64 { return r.lat.offerRate }, ""},
			row{"commit → 2xx p50", func(r result) float64 { return msf(r.lat.p50) }, "ms"},
			row{"commit → 2xx p90", func(r result) float64 { return msf(r.lat.p90) }, "ms"},
			row{"commit → 2xx p99", func(r result) float64 { return msf(r.lat.p99) }, "ms"},
			row{"commit → 2xx max", func(r result) float64 { return msf(r.lat.max) }, "ms"})
	}
	fmt.Fprintf(w, "\n| measurement (%d runs) | median | min | max | spread |\n|---|---:|---:|---:|---:|\n", len(rs))
	for _, rw := range rows {
		var vs []float64
		for _, r := range rs {
			vs = append(vs, rw.v(r))
		}
		slices.Sort(vs)
		med := vs[len(vs)/2]
		if len(vs)%2 == 0 {
			med = (vs[len(vs)/2-1] + vs[len(vs)/2]) / 2
		}
		spread := "-"
		if med != 0 {
			spread = fmt.Sprintf("±%.0f%%", (vs[len(vs)-1]-vs[0])/med*50)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", rw.name, num(med, rw.unit), num(vs[0], rw.unit), num(vs[len(vs)-1], rw.unit), spread)
	}
}

func num(v float64, unit string) string {
	switch unit {
	case "x":
		return fmt.Sprintf("%.2f", v)
	case "ms":
		return fmt.Sprintf("%.0f ms", v)
	}
	return fmt.Sprintf("%.0f", v)
}

func msf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func usf(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

func ms(d time.Duration) time.Duration { return d.Round(time.Millisecond) }

func us(d time.Duration) time.Duration { return d.Round(10 * time.Microsecond) }

// loadAvg is the 1-minute load average, or "?".
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) > 0 {
		return f[0]
	}
	return "?"
}

// cpuModel is the first model name in /proc/cpuinfo, or "unknown CPU".
func cpuModel() string {
	if v := procField("/proc/cpuinfo", "model name"); v != "" {
		return v
	}
	return "unknown CPU"
}

// memTotal is MemTotal from /proc/meminfo, or "unknown".
func memTotal() string {
	v := procField("/proc/meminfo", "MemTotal")
	var kb int64
	if _, err := fmt.Sscanf(v, "%d kB", &kb); err != nil {
		return "unknown"
	}
	return fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
}

// procField returns the value of the first "name: value" line of file.
func procField(file, name string) string {
	f, err := os.Open(file)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == name {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
