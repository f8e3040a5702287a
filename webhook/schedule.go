package webhook

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"
)

// Schedule holds the delays before attempts 2, 3, …: element 0 is the wait
// between the first attempt (sent at once) and the second. Attempts beyond
// its length reuse the last element, so the number of attempts is set
// elsewhere (the job's maxAttempts), not by the schedule's length.
type Schedule []time.Duration

// jitter is the fraction a delay may move either way (±20%, as Svix does).
const jitter = 0.2

// DefaultSchedule returns trawl's default schedule, "5s,5m": with the
// default 3 attempts, the first is sent at once, then about 5 seconds and
// about 5 minutes later. It is a function so no caller can change the
// default for everyone; each call returns a fresh slice.
func DefaultSchedule() Schedule {
	return Schedule{5 * time.Second, 5 * time.Minute}
}

// ParseSchedule parses a comma-separated list of Go durations ("5s,5m",
// "30s, 2m, 1h"); spaces around elements are ignored. Every element must be
// greater than zero and the list must not be empty. The error names the
// first bad element by position and text.
func ParseSchedule(s string) (Schedule, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("parse schedule: empty")
	}
	parts := strings.Split(s, ",")
	sched := make(Schedule, 0, len(parts))
	for i, part := range parts {
		part = strings.TrimSpace(part)
		d, err := time.ParseDuration(part)
		if err != nil {
			return nil, fmt.Errorf("parse schedule: element %d %q: %w", i+1, part, err)
		}
		if d <= 0 {
			return nil, fmt.Errorf("parse schedule: element %d %q: must be greater than 0", i+1, part)
		}
		sched = append(sched, d)
	}
	return sched, nil
}

// String formats s so that ParseSchedule(s.String()) returns an equal
// schedule, e.g. "5s,5m0s".
func (s Schedule) String() string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = d.String()
	}
	return strings.Join(parts, ",")
}

// Delay returns how long to wait before attempt n (n >= 2): element n-2 of
// s, or the last element when n is beyond the schedule, moved by up to ±20%
// using rnd, a source of floats in [0, 1) (0 gives -20%, 0.5 the exact delay,
// values near 1 almost +20%). rnd is called once per call; nil uses
// math/rand/v2's Float64. Values outside [0, 1] are clamped to it and NaN
// counts as 0.5 (no jitter).
//
// Delay returns 0 for n < 2 (the first attempt is sent at once) and for an
// empty schedule. It never returns a negative duration. A Retry-After from
// the receiver is applied by the caller, as a floor on top of this.
func (s Schedule) Delay(n int, rnd func() float64) time.Duration {
	if n < 2 || len(s) == 0 {
		return 0
	}
	d := s[min(n-2, len(s)-1)]
	if rnd == nil {
		rnd = rand.Float64
	}
	r := rnd()
	if math.IsNaN(r) {
		r = 0.5
	}
	r = min(max(r, 0), 1)
	f := float64(d) * (1 - jitter + 2*jitter*r)
	if f >= math.MaxInt64 {
		return math.MaxInt64
	}
	return max(time.Duration(f), 0)
}
