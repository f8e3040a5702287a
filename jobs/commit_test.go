package jobs_test

import (
	"fmt"
	"testing"

	"github.com/trawlhq/trawl"
)

// TestGroupCommit runs many one-row tasks at once, so that their outcomes
// are stored several to a transaction, and checks that nothing is lost or
// counted twice: every row is stored once, numbered without gaps, credits
// count every page, and a limit stops at exactly its number of rows.
func TestGroupCommit(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		limit, want int64
	}{
		{limit: 0, want: 300},
		{limit: 77, want: 77},
	} {
		t.Run(fmt.Sprint(tt.limit), func(t *testing.T) {
			t.Parallel()
			f := &fake{tasks: 300, rowsPerTask: 1, runs: map[string]int{}}
			h := newHarness(t, f, harnessOptions{})
			job, err := h.svc.Create(t.Context(), h.acc.ID, "fake", fmt.Appendf(nil, `{"limit": %d}`, tt.limit))
			if err != nil {
				t.Fatal(err)
			}
			end := h.waitEnd(t, job.ID)
			if end.DataRowsCount != tt.want || end.Status != trawl.StatusFinished {
				t.Fatalf("job ended %+v, want finished with %d rows", end, tt.want)
			}
			rows, total, err := h.db.Rows(t.Context(), job.ID, 0, 1000)
			if err != nil || int64(len(rows)) != tt.want || total != tt.want {
				t.Fatalf("%d rows stored (total %d), %v; want %d", len(rows), total, err, tt.want)
			}
			seen := map[string]bool{}
			for i, r := range rows {
				if r.Seq != int64(i)+1 {
					t.Fatalf("row %d has number %d, want %d", i, r.Seq, i+1)
				}
				if seen[string(r.Data)] {
					t.Fatalf("row %s stored twice", r.Data)
				}
				seen[string(r.Data)] = true
			}
			if tt.limit == 0 && end.CreditsSpent != 300 {
				t.Errorf("credits spent %d, want one per page: 300", end.CreditsSpent)
			}
			if tt.limit > 0 && end.CreditsSpent < tt.want {
				t.Errorf("credits spent %d, want at least one per stored row: %d", end.CreditsSpent, tt.want)
			}
		})
	}
}
