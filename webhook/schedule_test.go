package webhook

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseSchedule(t *testing.T) {
	t.Parallel()

	tests := []struct {
		in   string
		want Schedule
	}{
		{"5s,5m", Schedule{5 * time.Second, 5 * time.Minute}},
		{" 30s , 2m ,1h", Schedule{30 * time.Second, 2 * time.Minute, time.Hour}},
		{"1ms", Schedule{time.Millisecond}},
		{"1h30m,90s", Schedule{90 * time.Minute, 90 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseSchedule(tt.in)
			if err != nil {
				t.Fatalf("ParseSchedule(%q): %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseSchedule(%q) (-want +got):\n%s", tt.in, diff)
			}
			// String gives back a text that parses to the same schedule.
			again, err := ParseSchedule(got.String())
			if err != nil {
				t.Fatalf("ParseSchedule(%q) (from String): %v", got.String(), err)
			}
			if diff := cmp.Diff(got, again); diff != "" {
				t.Errorf("String round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseScheduleErrors(t *testing.T) {
	t.Parallel()

	tests := []struct {
		in      string
		wantErr string
	}{
		{"", "empty"},
		{"  ", "empty"},
		{"5s,", `element 2 ""`},
		{"5s,,5m", `element 2 ""`},
		{"5s,0s", `element 2 "0s": must be greater than 0`},
		{"5s,5m,-1s", `element 3 "-1s": must be greater than 0`},
		{"abc", `element 1 "abc"`},
		{"5", `element 1 "5"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseSchedule(tt.in)
			if err == nil {
				t.Fatalf("ParseSchedule(%q) = %v, nil error; want error containing %q", tt.in, got, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseSchedule(%q) error = %q, want it to contain %q", tt.in, err, tt.wantErr)
			}
		})
	}
}

func TestDefaultSchedule(t *testing.T) {
	t.Parallel()

	want := Schedule{5 * time.Second, 5 * time.Minute}
	got := DefaultSchedule()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("DefaultSchedule() (-want +got):\n%s", diff)
	}
	got[0] = time.Hour // a caller's change must not leak into the next call
	if diff := cmp.Diff(want, DefaultSchedule()); diff != "" {
		t.Errorf("DefaultSchedule() after mutating a copy (-want +got):\n%s", diff)
	}
}

func TestScheduleDelay(t *testing.T) {
	t.Parallel()

	s := Schedule{10 * time.Second, 5 * time.Minute}
	fixed := func(f float64) func() float64 { return func() float64 { return f } }
	tests := []struct {
		name    string
		s       Schedule
		attempt int
		rnd     func() float64
		want    time.Duration
	}{
		{"first attempt is immediate", s, 1, fixed(0.5), 0},
		{"attempt 0", s, 0, fixed(0.5), 0},
		{"attempt 2 no jitter", s, 2, fixed(0.5), 10 * time.Second},
		{"attempt 2 lowest", s, 2, fixed(0), 8 * time.Second},
		{"attempt 2 highest", s, 2, fixed(math.Nextafter(1, 0)), 12 * time.Second},
		{"attempt 3", s, 3, fixed(0.5), 5 * time.Minute},
		{"attempt 3 lowest", s, 3, fixed(0), 4 * time.Minute},
		{"beyond schedule reuses last", s, 4, fixed(0.5), 5 * time.Minute},
		{"far beyond schedule", s, 100, fixed(0.25), 270 * time.Second},
		{"rnd below range clamps", s, 2, fixed(-3), 8 * time.Second},
		{"rnd above range clamps", s, 2, fixed(7), 12 * time.Second},
		{"rnd NaN means no jitter", s, 2, fixed(math.NaN()), 10 * time.Second},
		{"empty schedule", Schedule{}, 2, fixed(0.5), 0},
		{"huge delay does not overflow", Schedule{time.Duration(math.MaxInt64)}, 2, fixed(math.Nextafter(1, 0)), time.Duration(math.MaxInt64)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := tt.s.Delay(tt.attempt, tt.rnd)
			// Float rounding may move the result by a few nanoseconds.
			if d := got - tt.want; d < -time.Microsecond || d > time.Microsecond {
				t.Errorf("Delay(%d) = %v, want %v", tt.attempt, got, tt.want)
			}
		})
	}
}

func TestScheduleDelayJitterBounds(t *testing.T) {
	t.Parallel()

	s := DefaultSchedule()
	r := rand.New(rand.NewPCG(1, 2))
	sources := map[string]func() float64{"seeded": r.Float64, "nil (package source)": nil}
	for name, rnd := range sources {
		for attempt := 2; attempt <= 5; attempt++ {
			base := s[min(attempt-2, len(s)-1)]
			lo, hi := base*8/10, base*12/10
			for range 1000 {
				if got := s.Delay(attempt, rnd); got < lo || got > hi {
					t.Fatalf("%s: Delay(%d) = %v, want within [%v, %v]", name, attempt, got, lo, hi)
				}
			}
		}
	}
}
