package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestWriteSection(t *testing.T) {
	t.Parallel()
	const section = "## Exports\n\nnew numbers\n"
	tests := []struct {
		name, before, want string
	}{
		{"no file", "", "# Benchmarks\n\n## Exports\n\nnew numbers\n"},
		{"appended", "# Benchmarks\n\n## Other\n\nkept\n", "# Benchmarks\n\n## Other\n\nkept\n\n## Exports\n\nnew numbers\n"},
		{"replaced before another", "# Benchmarks\n\n## Exports\n\nold\n\n## Other\n\nkept\n",
			"# Benchmarks\n\n## Exports\n\nnew numbers\n\n## Other\n\nkept\n"},
		{"replaced at the end", "# B\n\n## Other\n\nkept\n\n## Exports\n\nold\nlines\n", "# B\n\n## Other\n\nkept\n\n## Exports\n\nnew numbers\n"},
		{"a heading that only ends with the name", "# B\n\n### Not ## Exports\n", "# B\n\n### Not ## Exports\n\n## Exports\n\nnew numbers\n"},
		{"a longer heading is another section", "# B\n\n## Exports (issue 11)\n\nkept\n", "# B\n\n## Exports (issue 11)\n\nkept\n\n## Exports\n\nnew numbers\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "BENCHMARKS.md")
			if tt.before != "" {
				if err := os.WriteFile(path, []byte(tt.before), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := writeSection(path, "## Exports\n", section); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("file (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSpread(t *testing.T) {
	t.Parallel()
	rs := func(secs ...float64) []result {
		var out []result
		for _, s := range secs {
			out = append(out, result{Seconds: s})
		}
		return out
	}
	tests := []struct {
		in   []result
		want stats
	}{
		{rs(2), stats{2, 2, 2}},
		{rs(3, 1, 2), stats{2, 1, 3}},
		{rs(4, 1, 2, 3), stats{2.5, 1, 4}},
	}
	for _, tt := range tests {
		if got := spread(tt.in, seconds); got != tt.want {
			t.Errorf("spread(%v): got %+v, want %+v", tt.in, got, tt.want)
		}
	}
}
