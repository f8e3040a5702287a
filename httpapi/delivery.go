package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/danielgtaylor/huma/v2"
	"github.com/trawlhq/trawl"
)

// Webhooks is the webhook side of the API: the delivery log and
// redelivery. *jobs.Service and the store together implement it.
type Webhooks interface {
	// Attempts lists a page of a job's delivery attempts, oldest first, with
	// their events' types and states.
	Attempts(ctx context.Context, jobID, offset, limit int64) ([]*trawl.DeliveryAttempt, int64, error)
	// Redeliver sends one event again (ECONFLICT while it is pending).
	Redeliver(ctx context.Context, accountID, jobID int64, eventID string) (*trawl.Event, error)
	// RedeliverFailed sends again every event whose attempts ran out.
	RedeliverFailed(ctx context.Context, accountID, jobID int64) ([]*trawl.Event, error)
}

func (s *server) addWebhookRoutes(api huma.API) {
	huma.Register(api, s.private(api, huma.Operation{
		OperationID: "list-webhook-deliveries",
		Method:      http.MethodGet,
		Path:        "/scrapers/jobs/{id}/webhook-deliveries",
		Summary:     "List webhook delivery attempts",
		Description: "Every HTTP attempt at delivering the job's events, oldest first, paged: the delivery (event) id, which is the webhook-id header, the event, the attempt number, when, how long, the status code, the error class and the first 16 KiB of the response.",
		Tags:        []string{"Webhooks"},
		Parameters:  []*huma.Param{jobIDParam()},
	}, 404, 422), s.listDeliveries)

	huma.Register(api, s.private(api, huma.Operation{
		OperationID:   "redeliver-webhook",
		Method:        http.MethodPost,
		Path:          "/scrapers/jobs/{id}/webhook-deliveries/{deliveryId}/redeliver",
		Summary:       "Redeliver one event",
		Description:   "Sends the event again: one more attempt, under the same webhook-id. 409 while the event is still pending. A job whose receiver answered 410 Gone gets its webhook back.",
		Tags:          []string{"Webhooks"},
		DefaultStatus: http.StatusAccepted,
		Parameters:    []*huma.Param{jobIDParam()},
	}, 404, 409), s.redeliver)

	huma.Register(api, s.private(api, huma.Operation{
		OperationID:   "redeliver-failed-webhooks",
		Method:        http.MethodPost,
		Path:          "/scrapers/jobs/{id}/webhook-deliveries/redeliver-failed",
		Summary:       "Redeliver every failed event",
		Description:   "Sends again, one more attempt each, every event of the job whose attempts ran out.",
		Tags:          []string{"Webhooks"},
		DefaultStatus: http.StatusAccepted,
		Parameters:    []*huma.Param{jobIDParam()},
	}, 404, 409), s.redeliverFailed)
}

type deliveryAttempt struct {
	ID              int64       `json:"id" doc:"The attempt's id."`
	DeliveryID      string      `json:"deliveryId" doc:"The event's id: the webhook-id header, the same for every attempt."`
	Event           string      `json:"event"`
	DeliveryState   string      `json:"deliveryState" enum:"pending,delivered,failed,gone" doc:"Where the event's delivery stands now."`
	Attempt         int         `json:"attempt" doc:"The attempt's number, from 1."`
	CreatedAt       string      `json:"createdAt"`
	DurationMs      float64     `json:"durationMs"`
	StatusCode      *int        `json:"statusCode" doc:"null when no response came."`
	ErrorClass      *errorClass `json:"errorClass"`
	Error           *string     `json:"error"`
	ResponseExcerpt string      `json:"responseExcerpt" doc:"The first 16 KiB of the response body."`
}

type deliveriesInput struct {
	ID    string `path:"id"`
	Page  int64  `query:"page" default:"1" minimum:"1" doc:"The page, from 1."`
	Limit int64  `query:"limit" default:"100" minimum:"1" maximum:"100" doc:"Attempts per page."`
}

type deliveriesOutput struct {
	Body struct {
		Meta pageMeta          `json:"meta"`
		Data []deliveryAttempt `json:"data" nullable:"false"`
	}
}

func (s *server) listDeliveries(ctx context.Context, in *deliveriesInput) (*deliveriesOutput, error) {
	job, err := s.job(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	attempts, total, err := s.webhooks.Attempts(ctx, job.ID, pageOffset(in.Page, in.Limit), in.Limit)
	if err != nil {
		return nil, s.errorFor(ctx, err)
	}
	out := &deliveriesOutput{}
	out.Body.Meta = s.pageMeta(jobPath(job.ID)+"/webhook-deliveries", "", total, in.Page, in.Limit)
	out.Body.Data = make([]deliveryAttempt, 0, len(attempts))
	for _, a := range attempts {
		out.Body.Data = append(out.Body.Data, toDeliveryAttempt(a))
	}
	return out, nil
}

// toDeliveryAttempt converts an attempt for the delivery log.
func toDeliveryAttempt(a *trawl.DeliveryAttempt) deliveryAttempt {
	d := deliveryAttempt{
		ID:              a.ID,
		DeliveryID:      a.EventID,
		Attempt:         a.Attempt,
		CreatedAt:       formatTime(a.CreatedAt),
		DurationMs:      float64(a.Duration.Microseconds()) / 1000,
		ResponseExcerpt: a.ResponseExcerpt,
		Event:           a.EventType,
		DeliveryState:   string(a.EventState),
	}
	if a.StatusCode != 0 {
		d.StatusCode = &a.StatusCode
	}
	if a.ErrorClass != "" {
		class := errorClass(a.ErrorClass)
		d.ErrorClass, d.Error = &class, &a.Error
	}
	return d
}

type redeliveryBody struct {
	DeliveryID string `json:"deliveryId"`
	Event      string `json:"event"`
	State      string `json:"state" doc:"pending: the attempt is queued."`
	Attempt    int    `json:"attempt" doc:"The number the new attempt will have."`
}

type redeliverInput struct {
	ID         string `path:"id"`
	DeliveryID string `path:"deliveryId"`
}

type redeliverOutput struct {
	Body redeliveryBody
}

func (s *server) redeliver(ctx context.Context, in *redeliverInput) (*redeliverOutput, error) {
	job, err := s.job(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	if !plausibleDeliveryID(in.DeliveryID) {
		return nil, &errorBody{status: http.StatusNotFound, Message: fmt.Sprintf("Delivery %q not found for job %d.", in.DeliveryID, job.ID)}
	}
	e, err := s.webhooks.Redeliver(ctx, accountFrom(ctx).ID, job.ID, in.DeliveryID)
	if err != nil {
		return nil, s.errorFor(ctx, err)
	}
	return &redeliverOutput{Body: redelivery(e)}, nil
}

// plausibleDeliveryID reports whether raw could name a delivery (the ids
// are "msg_" and a UUID). One that cannot, such as text with a NUL byte or
// invalid UTF-8 that PostgreSQL would refuse, is an unknown delivery without
// a trip to the database.
func plausibleDeliveryID(raw string) bool {
	return len(raw) <= 64 && utf8.ValidString(raw) && !strings.ContainsFunc(raw, unicode.IsControl)
}

func redelivery(e *trawl.Event) redeliveryBody {
	return redeliveryBody{DeliveryID: e.ID, Event: e.Type, State: string(trawl.EventPending), Attempt: e.Attempts + 1}
}

type redeliverFailedOutput struct {
	Body struct {
		Count int              `json:"count"`
		Data  []redeliveryBody `json:"data" nullable:"false"`
	}
}

func (s *server) redeliverFailed(ctx context.Context, in *jobInput) (*redeliverFailedOutput, error) {
	job, err := s.job(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	events, err := s.webhooks.RedeliverFailed(ctx, accountFrom(ctx).ID, job.ID)
	if err != nil {
		return nil, s.errorFor(ctx, err)
	}
	out := &redeliverFailedOutput{}
	out.Body.Count = len(events)
	out.Body.Data = make([]redeliveryBody, 0, len(events))
	for _, e := range events {
		out.Body.Data = append(out.Body.Data, redelivery(e))
	}
	return out, nil
}

// Accounts lets an account see and rotate its webhook signing secret.
type Accounts interface {
	RotateWebhookSecret(ctx context.Context, accountID int64, next string, previousUntil time.Time) (*trawl.Account, error)
}

// SecretOverlap is how long a rotated-out webhook secret keeps signing.
const SecretOverlap = 24 * time.Hour

func (s *server) addAccountRoutes(api huma.API) {
	huma.Register(api, s.private(api, huma.Operation{
		OperationID: "get-account",
		Method:      http.MethodGet,
		Path:        "/account",
		Summary:     "Get the account",
		Description: "The caller's account, with the secret that signs its webhooks (Standard Webhooks: verify webhook-signature with it).",
		Tags:        []string{"Account"},
	}), s.getAccount)

	huma.Register(api, s.private(api, huma.Operation{
		OperationID: "rotate-webhook-secret",
		Method:      http.MethodPost,
		Path:        "/account/webhook-secret/rotate",
		Summary:     "Rotate the webhook secret",
		Description: "Makes a new signing secret. The old one keeps signing for 24 hours: during that time every delivery carries both signatures, space-separated, so receivers can switch without losing a message.",
		Tags:        []string{"Account"},
	}), s.rotateSecret)
}

type accountBody struct {
	ID                             int64   `json:"id"`
	Name                           string  `json:"name"`
	WebhookSecret                  string  `json:"webhookSecret" doc:"Signs every webhook delivery (whsec_…)."`
	PreviousWebhookSecretExpiresAt *string `json:"previousWebhookSecretExpiresAt" doc:"Until when the secret rotated out last also signs; null when none does."`
	// PreviousWebhookSecretsExpireAt lists, newest first, until when each
	// rotated-out secret that still signs does so.
	PreviousWebhookSecretsExpireAt []string `json:"previousWebhookSecretsExpireAt" doc:"Until when each rotated-out secret that still signs does so, newest first (at most 4: a rotation past that ends the oldest overlap early)."`
}

type accountOutput struct {
	Body accountBody
}

func accountOf(a *trawl.Account, now time.Time) accountBody {
	b := accountBody{ID: a.ID, Name: a.Name, WebhookSecret: a.WebhookSecret, PreviousWebhookSecretsExpireAt: []string{}}
	for _, p := range a.PreviousSecrets {
		if !now.Before(p.ExpiresAt) {
			continue
		}
		if b.PreviousWebhookSecretExpiresAt == nil {
			b.PreviousWebhookSecretExpiresAt = formatTimePtr(&p.ExpiresAt)
		}
		b.PreviousWebhookSecretsExpireAt = append(b.PreviousWebhookSecretsExpireAt, *formatTimePtr(&p.ExpiresAt))
	}
	return b
}

func (s *server) getAccount(ctx context.Context, _ *struct{}) (*accountOutput, error) {
	return &accountOutput{Body: accountOf(accountFrom(ctx), time.Now())}, nil
}

func (s *server) rotateSecret(ctx context.Context, _ *struct{}) (*accountOutput, error) {
	now := time.Now()
	a, err := s.accounts.RotateWebhookSecret(ctx, accountFrom(ctx).ID, trawl.NewWebhookSecret(), now.Add(SecretOverlap))
	if err != nil {
		return nil, s.errorFor(ctx, err)
	}
	return &accountOutput{Body: accountOf(a, now)}, nil
}

// errorClass is an attempt's error class, null on success.
type errorClass string

// Schema lists the classes and null in the enum as well as the type, so a
// successful attempt's null validates.
func (errorClass) Schema(huma.Registry) *huma.Schema {
	return &huma.Schema{
		Type:        huma.TypeString,
		Nullable:    true,
		Enum:        []any{"timeout", "connection", "dns", "tls", "http_status", "blocked", "too_large", "invalid", nil},
		Description: "Why the attempt failed; null on success.",
	}
}
