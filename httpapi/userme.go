package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
)

// unlimitedCredits stands for "no quota" in the credit fields: the largest
// integer a JSON number holds exactly, so clients that compare or subtract
// keep working.
const unlimitedCredits = 1<<53 - 1

// addUserRoutes registers GET /user/me and GET /user/me/usage.
func (s *server) addUserRoutes(api huma.API) {
	huma.Register(api, s.private(api, huma.Operation{
		OperationID: "get-user",
		Method:      http.MethodGet,
		Path:        "/user/me",
		Summary:     "The caller's account",
		Description: "The account the API key belongs to, with its usage. HasData clients call it to check a key.",
		Tags:        []string{"Account"},
	}), s.getUser)
	huma.Register(api, s.private(api, huma.Operation{
		OperationID: "get-user-usage",
		Method:      http.MethodGet,
		Path:        "/user/me/usage",
		Summary:     "The caller's credits and concurrency",
		Description: "Credits: one per successful page fetch, by jobs and by /scrape/web. Without an operator-set quota the account is unlimited and totalCredits and availableCredits are 9007199254740991. Concurrency counts /scrape/web calls in flight; concurrentTasks and taskConcurrency count the account's job tasks against its share of the scrape workers.",
		Tags:        []string{"Account"},
	}), s.getUsage)
}

// usageData is the data of GET /user/me/usage, in HasData's names.
type usageData struct {
	TotalCredits         int64 `json:"totalCredits" doc:"The account's credit quota (9007199254740991 when it has none)."`
	AvailableCredits     int64 `json:"availableCredits" doc:"Credits left before the quota (never negative)."`
	UsedCredits          int64 `json:"usedCredits" doc:"Credits spent by jobs and synchronous calls."`
	Unlimited            bool  `json:"unlimited" doc:"The account has no quota."`
	ConcurrentRequests   int   `json:"concurrentRequests" doc:"/scrape/web calls in flight."`
	AvailableConcurrency int   `json:"availableConcurrency" doc:"/scrape/web calls that may start now."`
	ConcurrentTasks      int64 `json:"concurrentTasks" doc:"The account's job tasks queued or running, across all nodes."`
	TaskConcurrency      int64 `json:"taskConcurrency" doc:"How many of the account's job tasks may be queued or running at once (TRAWL_ACCOUNT_CONCURRENCY); the rest wait their turn."`
}

type usageBody struct {
	Status string    `json:"status" enum:"ok"`
	Data   usageData `json:"data"`
	// The same numbers at the top level, for clients that read them there.
	TotalCredits         int64 `json:"totalCredits"`
	AvailableCredits     int64 `json:"availableCredits"`
	ConcurrentRequests   int   `json:"concurrentRequests"`
	AvailableConcurrency int   `json:"availableConcurrency"`
}

type usageOutput struct{ Body usageBody }

func (s *server) usageOf(ctx context.Context) (usageData, error) {
	acct := accountFrom(ctx)
	d := usageData{TotalCredits: unlimitedCredits, AvailableCredits: unlimitedCredits, Unlimited: true}
	if s.usage != nil {
		u, err := s.usage.Usage(ctx, acct.ID)
		if err != nil {
			return d, s.errorFor(ctx, err)
		}
		d.UsedCredits = u.Spent()
		if u.Quota != nil {
			d.Unlimited = false
			d.TotalCredits = *u.Quota
			d.AvailableCredits = max(0, *u.Quota-u.Spent())
		}
	}
	d.ConcurrentRequests = s.webSlots.used(acct.ID)
	d.AvailableConcurrency = max(0, s.webSlots.limit-d.ConcurrentRequests)
	if s.tasks != nil {
		n, limit, err := s.tasks(ctx, acct.ID)
		if err != nil {
			return d, s.errorFor(ctx, err)
		}
		d.ConcurrentTasks, d.TaskConcurrency = n, int64(limit)
	}
	return d, nil
}

func (s *server) getUsage(ctx context.Context, _ *struct{}) (*usageOutput, error) {
	d, err := s.usageOf(ctx)
	if err != nil {
		return nil, err
	}
	return &usageOutput{Body: usageBody{Status: "ok", Data: d, TotalCredits: d.TotalCredits, AvailableCredits: d.AvailableCredits,
		ConcurrentRequests: d.ConcurrentRequests, AvailableConcurrency: d.AvailableConcurrency}}, nil
}

// userData is the data of GET /user/me: the account and the figures of
// GET /user/me/usage beside it. (The figures are listed here rather than
// embedded, so that the OpenAPI description lists them too.)
type userData struct {
	ID                   int64     `json:"id"`
	Name                 string    `json:"name"`
	CreatedAt            time.Time `json:"createdAt"`
	TotalCredits         int64     `json:"totalCredits" doc:"The account's credit quota (9007199254740991 when it has none)."`
	AvailableCredits     int64     `json:"availableCredits" doc:"Credits left before the quota (never negative)."`
	UsedCredits          int64     `json:"usedCredits" doc:"Credits spent by jobs and synchronous calls."`
	Unlimited            bool      `json:"unlimited" doc:"The account has no quota."`
	ConcurrentRequests   int       `json:"concurrentRequests" doc:"/scrape/web calls in flight."`
	AvailableConcurrency int       `json:"availableConcurrency" doc:"/scrape/web calls that may start now."`
	ConcurrentTasks      int64     `json:"concurrentTasks" doc:"The account's job tasks queued or running, across all nodes."`
	TaskConcurrency      int64     `json:"taskConcurrency" doc:"How many of the account's job tasks may be queued or running at once."`
	Rendering            Rendering `json:"rendering" doc:"Whether pages asked for with jsRendering are rendered in a headless browser."`
}

type userOutput struct {
	Body struct {
		Status string   `json:"status" enum:"ok"`
		Data   userData `json:"data"`
	}
}

func (s *server) getUser(ctx context.Context, _ *struct{}) (*userOutput, error) {
	d, err := s.usageOf(ctx)
	if err != nil {
		return nil, err
	}
	acct := accountFrom(ctx)
	out := &userOutput{}
	out.Body.Status = "ok"
	out.Body.Data = userData{ID: acct.ID, Name: acct.Name, CreatedAt: acct.CreatedAt, TotalCredits: d.TotalCredits,
		AvailableCredits: d.AvailableCredits, UsedCredits: d.UsedCredits, Unlimited: d.Unlimited,
		ConcurrentRequests: d.ConcurrentRequests, AvailableConcurrency: d.AvailableConcurrency,
		ConcurrentTasks: d.ConcurrentTasks, TaskConcurrency: d.TaskConcurrency, Rendering: s.renderingStatus()}
	return out, nil
}

// checkQuota refuses work for an account past its credit quota: a 403, as
// HasData answers when credits are exhausted.
func (s *server) checkQuota(ctx context.Context) error {
	if s.usage == nil {
		return nil
	}
	exhausted, err := s.usage.QuotaExhausted(ctx, accountFrom(ctx).ID)
	if err != nil {
		return s.errorFor(ctx, err)
	}
	if exhausted {
		return &errorBody{status: http.StatusForbidden, Message: "The account has used its credits; an operator can raise its quota."}
	}
	return nil
}

// addPageRoutes registers the synchronous page API, the account and the
// catalogue.
func (s *server) addPageRoutes(api huma.API) {
	if s.web != nil {
		s.addWebRoutes(api)
		s.addCatalogueRoutes(api)
	}
	s.addUserRoutes(api)
}
