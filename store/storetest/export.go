package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/store"
)

// insertRows appends rows to a job in batches of batch, as the workers do.
func insertRows(t *testing.T, s store.Store, jobID int64, data []json.RawMessage, batch int) {
	t.Helper()
	for len(data) > 0 {
		n := min(batch, len(data))
		err := s.InTx(ctx(t), func(tx store.Tx) error {
			job, err := tx.Job(jobID)
			if err != nil {
				return err
			}
			rows, err := tx.InsertRows(job, data[:n])
			if err != nil {
				return err
			}
			job.DataRowsCount += int64(len(rows))
			return tx.UpdateJob(job)
		})
		if err != nil {
			t.Fatal(err)
		}
		data = data[n:]
	}
}

func testEachRow(t *testing.T, s store.Store) {
	a := mustAccount(t, s, "a")
	j := mustJob(t, s, a.ID, nil)
	other := mustJob(t, s, a.ID, nil)
	const total = 2345 // more than one chunk
	var data []json.RawMessage
	for i := range total {
		data = append(data, json.RawMessage(fmt.Sprintf(`{"n":%d}`, i+1)))
	}
	insertRows(t, s, j.ID, data, 500)
	insertRows(t, s, other.ID, data[:3], 500)

	walk := func(jobID, upTo int64) ([]int64, error) {
		var seqs []int64
		err := s.EachRow(ctx(t), jobID, upTo, func(r *trawl.Row) error {
			if r.JobID != jobID || r.ID == "" || r.CreatedAt.IsZero() || string(r.Data) != fmt.Sprintf(`{"n":%d}`, r.Seq) {
				return fmt.Errorf("row %+v is not the one stored at seq %d", r, r.Seq)
			}
			seqs = append(seqs, r.Seq)
			return nil
		})
		return seqs, err
	}
	seqRange := func(n int64) []int64 {
		out := []int64{}
		for i := int64(1); i <= n; i++ {
			out = append(out, i)
		}
		return out
	}
	tests := []struct {
		name string
		upTo int64
		want []int64
	}{
		{"every row in order", total, seqRange(total)},
		{"bounded", 1500, seqRange(1500)},
		{"bound past the end", total + 100, seqRange(total)},
		{"nothing", 0, []int64{}},
	}
	for _, tt := range tests {
		got, err := walk(j.ID, tt.upTo)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got == nil {
			got = []int64{}
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: seqs (-want +got):\n%s", tt.name, diff)
		}
	}

	stop := errors.New("stop")
	n := 0
	err := s.EachRow(ctx(t), j.ID, total, func(*trawl.Row) error {
		if n++; n == 1001 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 1001 {
		t.Errorf("stopping: got %v after %d rows, want fn's error after 1001", err, n)
	}
	err = s.EachRow(ctx(t), j.ID+1000, 10, func(*trawl.Row) error { return nil })
	wantCode(t, err, trawl.ENOTFOUND)
}

// testEachRowLargeRows: rows far larger than usual still come whole and in
// order, however the store chunks them.
func testEachRowLargeRows(t *testing.T, s store.Store) {
	a := mustAccount(t, s, "a")
	j := mustJob(t, s, a.ID, nil)
	var data []json.RawMessage
	for i := range 9 {
		data = append(data, json.RawMessage(fmt.Sprintf(`{"n":%d,"html":%q}`, i+1, strings.Repeat("x", 1<<20))))
	}
	insertRows(t, s, j.ID, data, 3)
	var got []int64
	err := s.EachRow(ctx(t), j.ID, 100, func(r *trawl.Row) error {
		if len(r.Data) != len(data[r.Seq-1]) {
			return fmt.Errorf("row %d has %d bytes, want %d", r.Seq, len(r.Data), len(data[r.Seq-1]))
		}
		got = append(got, r.Seq)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int64{1, 2, 3, 4, 5, 6, 7, 8, 9}, got); diff != "" {
		t.Errorf("seqs (-want +got):\n%s", diff)
	}
}

func testSettings(t *testing.T, s store.Store) {
	_, err := s.Setting(ctx(t), "export_key")
	wantCode(t, err, trawl.ENOTFOUND)
	got, err := s.EnsureSetting(ctx(t), "export_key", "first")
	if err != nil || got != "first" {
		t.Fatalf("first EnsureSetting: got %q, %v; want first", got, err)
	}
	got, err = s.EnsureSetting(ctx(t), "export_key", "second")
	if err != nil || got != "first" {
		t.Fatalf("second EnsureSetting: got %q, %v; want the stored first", got, err)
	}
	if got, err := s.Setting(ctx(t), "export_key"); err != nil || got != "first" {
		t.Fatalf("Setting: got %q, %v; want first", got, err)
	}
	if got, err := s.EnsureSetting(ctx(t), "other", ""); err != nil || got != "" {
		t.Fatalf("an empty value: got %q, %v", got, err)
	}
}
