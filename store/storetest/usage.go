package storetest

import (
	"context"
	"testing"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/store"
)

// UsageStore is the usage accounting both SQL backends have beside
// store.Store.
type UsageStore interface {
	store.Store
	AddSyncUsage(ctx context.Context, accountID, credits int64) error
	Usage(ctx context.Context, accountID int64) (*trawl.Usage, error)
	QuotaExhausted(ctx context.Context, accountID int64) (bool, error)
	SetCreditQuota(ctx context.Context, accountID int64, quota *int64) error
}

// RunUsage checks the usage accounting of a fresh, migrated store: job
// credits and synchronous calls add up per account, and quotas are set,
// changed and removed.
func RunUsage(t *testing.T, s UsageStore) {
	t.Helper()
	ctx := t.Context()
	a, err := s.CreateAccount(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.CreateAccount(ctx, "b")
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.Usage(ctx, a.ID)
	if err != nil || u.Spent() != 0 || u.Quota != nil || u.Exhausted() {
		t.Fatalf("a new account: %+v, %v", u, err)
	}
	err = s.InTx(ctx, func(tx store.Tx) error {
		j := &trawl.Job{AccountID: a.ID, Scraper: "crawler", Status: trawl.StatusPending, Input: []byte(`{}`), Params: []byte(`{}`)}
		if err := tx.CreateJob(j); err != nil {
			return err
		}
		j.CreditsSpent = 7
		return tx.UpdateJob(j)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []int64{1, 0, 1} {
		if err := s.AddSyncUsage(ctx, a.ID, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddSyncUsage(ctx, b.ID, 5); err != nil {
		t.Fatal(err)
	}
	quota := int64(9)
	if err := s.SetCreditQuota(ctx, a.ID, &quota); err != nil {
		t.Fatal(err)
	}
	u, err = s.Usage(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if u.JobCredits != 7 || u.SyncCredits != 2 || u.SyncCalls != 3 || u.Quota == nil || *u.Quota != 9 || !u.Exhausted() {
		t.Errorf("account a: %+v", u)
	}
	exhausted := func(id int64, want bool) {
		t.Helper()
		if got, err := s.QuotaExhausted(ctx, id); err != nil || got != want {
			t.Errorf("QuotaExhausted(%d) = %v, %v; want %v", id, got, err, want)
		}
	}
	exhausted(a.ID, true)
	exhausted(b.ID, false) // spent, no quota
	exhausted(999, false)
	quota = 10
	if err := s.SetCreditQuota(ctx, a.ID, &quota); err != nil {
		t.Fatal(err)
	}
	if u, _ = s.Usage(ctx, a.ID); u.Exhausted() || *u.Quota != 10 || u.SyncCalls != 3 {
		t.Errorf("raised quota: %+v", u)
	}
	exhausted(a.ID, false)
	if err := s.SetCreditQuota(ctx, a.ID, nil); err != nil {
		t.Fatal(err)
	}
	if u, _ = s.Usage(ctx, a.ID); u.Quota != nil {
		t.Errorf("removed quota: %+v", u)
	}
	if u, _ = s.Usage(ctx, b.ID); u.SyncCredits != 5 || u.JobCredits != 0 {
		t.Errorf("account b: %+v", u)
	}
	if err := s.SetCreditQuota(ctx, 999, &quota); trawl.ErrorCode(err) != trawl.ENOTFOUND {
		t.Errorf("unknown account: got %v, want not found", err)
	}
}
