package httpapi

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
	"github.com/trawlhq/trawl"
)

// securitySession names the web console's session cookie in the OpenAPI
// document; only GET /events accepts it.
const securitySession = "session"

// selfAuthenticated marks an operation whose handler checks the caller
// itself (GET /events takes an API key or the console's session cookie).
const selfAuthenticated = "trawl:self-authenticated"

// addEventRoutes registers GET /events, served by h (the web console's
// stream), and documents it.
func (s *server) addEventRoutes(api huma.API, h http.Handler) {
	api.OpenAPI().Components.SecuritySchemes[securitySession] = &huma.SecurityScheme{
		Type: "apiKey", In: "cookie", Name: "trawl_session",
		Description: "The web console's session, made by signing in at /console/login with an API key.",
	}
	op := s.private(api, huma.Operation{
		OperationID: "stream-events",
		Method:      http.MethodGet,
		Path:        "/events",
		Summary:     "Stream the account's changes",
		Description: "Server-sent events (text/event-stream) of the account's changes, as they are stored, from every node.\n\n" +
			"Each message has an `event:` kind and a `data:` line of JSON:\n\n" +
			"- `job`: a job changed (status, counters, times); data is the job record, as GET /scrapers/jobs/{id} returns it.\n" +
			"- `delivery`: a webhook delivery attempt was made; data is the attempt as the delivery log lists it, plus `jobId`.\n" +
			"- `webhook`: a webhook event was created; data is `{id, type, jobId, createdAt, body}` where `id` is the webhook-id " +
			"header and `body` (a string) the exact JSON body a delivery of it carries. A job without a webhook has its events too " +
			"(never delivered), so `trawl listen` can forward them.\n\n" +
			"Every message has an `id:`. A client that reconnects with it in the `Last-Event-ID` header (browsers' EventSource do so " +
			"themselves) or the `lastEventId` parameter resumes after it; without one the stream starts with changes from now on. " +
			"The stream opens with an `id:` and no data (the position it starts from), so a client that drops before the first message also resumes without a gap. " +
			"A change may, rarely, be sent twice (a job message is the job's whole state, and webhook messages carry their " +
			"webhook-id to de-duplicate). A comment line is sent every 15 seconds while nothing changes.",
		Tags: []string{"Events"},
		Responses: map[string]*huma.Response{"200": {
			Description: "The stream; it stays open until the client or the server ends it.",
			Content:     map[string]*huma.MediaType{"text/event-stream": {Schema: &huma.Schema{Type: huma.TypeString}}},
		}},
		Metadata: map[string]any{selfAuthenticated: true},
	}, http.StatusUnprocessableEntity)
	op.Security = append(op.Security, map[string][]string{securitySession: {}})
	huma.Register(api, op, func(_ context.Context, _ *eventsInput) (*huma.StreamResponse, error) {
		return &huma.StreamResponse{Body: func(ctx huma.Context) {
			r, w := humago.Unwrap(ctx)
			h.ServeHTTP(w, r)
		}}, nil
	})
}

// eventsInput documents the stream's parameters; the stream's handler
// reads and checks them.
type eventsInput struct {
	JobID       string `query:"jobId" pattern:"^\\+?0*[1-9][0-9]{0,17}$" doc:"Only changes of this job."`
	Kinds       string `query:"kinds" pattern:"^\\s*(job|delivery|webhook)\\s*(,\\s*(job|delivery|webhook)\\s*)*$" doc:"Comma-separated kinds to send: job, delivery, webhook; absent = all."`
	LastEventID string `header:"Last-Event-ID" pattern:"^1(\\.\\+?[0-9]{1,18}){3}$" doc:"Resume after the message with this id."`
	LastEventIQ string `query:"lastEventId" pattern:"^1(\\.\\+?[0-9]{1,18}){3}$" doc:"The same as Last-Event-ID, for clients that cannot set headers."`
}

// JobEncoder returns what writes a job's record exactly as GET
// /scrapers/jobs/{id} of the API that c configures does, for other
// channels (the change stream).
func JobEncoder(c Config) func(*trawl.Job) ([]byte, error) {
	s := &server{scrapers: c.Scrapers, links: c.Links, publicURL: c.PublicURL, version: c.Version}
	return func(j *trawl.Job) ([]byte, error) { return json.Marshal(s.record(j)) }
}

// AttemptJSON is a delivery attempt as the delivery log lists it, with the
// attempt's jobId added.
func AttemptJSON(a *trawl.DeliveryAttempt) ([]byte, error) {
	return json.Marshal(struct {
		JobID int64 `json:"jobId"`
		deliveryAttempt
	}{a.JobID, toDeliveryAttempt(a)})
}
