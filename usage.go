package trawl

// Usage is what an account has spent, in credits: one credit per successful
// outbound page fetch, whether made by a job (its creditsSpent) or by a
// synchronous call such as POST /scrape/web.
type Usage struct {
	AccountID   int64
	JobCredits  int64 // the sum of the account's jobs' creditsSpent
	SyncCredits int64 // credits of synchronous calls
	SyncCalls   int64 // synchronous calls made
	// Quota is the most credits the account may spend, set by an operator;
	// nil means no limit.
	Quota *int64
}

// Spent is every credit the account has used.
func (u *Usage) Spent() int64 { return u.JobCredits + u.SyncCredits }

// Exhausted reports whether the account has reached its quota.
func (u *Usage) Exhausted() bool { return u.Quota != nil && u.Spent() >= *u.Quota }
