package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/scrape"
)

// syncTimeout bounds one synchronous scrape: its fetches with their
// retries and politeness waits.
const syncTimeout = 2 * time.Minute

// addSyncRoutes registers the synchronous scrape endpoints (GET /scrape/…)
// of Config.Endpoints. Each answers HasData's shape: a JSON object whose
// requestMetadata {id, status} comes first, "ok" on success; a target that
// does not resolve is a 400 and one that cannot be scraped now a 502, an
// account past its quota a 403 and one with too many calls in flight a 429
// (the bound /scrape/web has, shared), all with status "error", a code and
// a message; a bad parameter is a 422 in trawl's error shape. A successful
// call's fetches are counted in Config.Usage.
func (s *server) addSyncRoutes(api huma.API) {
	for _, ep := range s.endpoints {
		op := huma.Operation{
			OperationID: "scrape" + componentName(strings.ReplaceAll(strings.TrimPrefix(ep.Path, "/scrape"), "/", "-")),
			Method:      http.MethodGet,
			Path:        ep.Path,
			Summary:     ep.Summary,
			Description: ep.Description,
			Tags:        []string{"Synchronous scrapes"},
		}
		for _, p := range ep.Params {
			schema := &huma.Schema{Type: p.Type, Pattern: p.Pattern, Minimum: p.Minimum, Maximum: p.Maximum}
			if p.MaxLen > 0 {
				schema.MaxLength = &p.MaxLen
			}
			for _, e := range p.Enum {
				schema.Enum = append(schema.Enum, e)
			}
			op.Parameters = append(op.Parameters, &huma.Param{Name: p.Name, In: "query", Required: p.Required,
				Description: p.Description, Schema: schema})
		}
		if ep.QueryConstraints != nil {
			op.Extensions = map[string]any{"x-query-constraints": ep.QueryConstraints}
		}
		op = s.private(api, op, http.StatusUnprocessableEntity)
		// 400, 403, 429 and 502 answer requestMetadata.status "error".
		documentFailures(api, &op, map[int]string{
			http.StatusBadRequest:      "The target does not resolve (an unknown id): code target_unresolved.",
			http.StatusForbidden:       "The account's credits are used up: code credits_exhausted.",
			http.StatusTooManyRequests: "Too many synchronous calls of the account in flight: code concurrency_limit.",
			http.StatusBadGateway:      "The target could not be scraped now (blocked, unreadable): code target_unreachable.",
		})
		huma.Register(api, op, s.syncHandler(ep))
	}
}

// documentFailures documents the given statuses of op with the
// synchronous calls' error body: requestMetadata.status "error", a code and
// a message.
func documentFailures(api huma.API, op *huma.Operation, statuses map[int]string) {
	failure := api.OpenAPI().Components.Schemas.Schema(reflect.TypeFor[syncBody](), true, "")
	for status, desc := range statuses {
		op.Responses[strconv.Itoa(status)] = &huma.Response{Description: desc,
			Content: map[string]*huma.MediaType{"application/json": {Schema: failure}}}
	}
}

// queryInput is a call's query, read whole: the handler validates it, so
// that every parameter error is reported against its name in one 422, and
// free-form parameters (repeated keys, brackets, comma lists) survive
// huma's binding.
type queryInput struct {
	query url.Values
}

// Resolve implements huma.Resolver.
func (in *queryInput) Resolve(ctx huma.Context) []error {
	u := ctx.URL()
	in.query = u.Query()
	return nil
}

type syncOutput struct {
	Status int
	Body   syncBody
}

// syncBody is a response's JSON object, requestMetadata first.
type syncBody struct {
	raw []byte
}

// MarshalJSON implements json.Marshaler.
func (b syncBody) MarshalJSON() ([]byte, error) { return b.raw, nil }

// Schema documents the body for OpenAPI.
func (syncBody) Schema(huma.Registry) *huma.Schema {
	return &huma.Schema{
		Type:        huma.TypeObject,
		Description: "requestMetadata, then the endpoint's fields (HasData's shape).",
		Properties: map[string]*huma.Schema{
			"requestMetadata": {Type: huma.TypeObject, Properties: map[string]*huma.Schema{
				"id":     {Type: huma.TypeString, Description: "The request's id (its X-Request-Id)."},
				"status": {Type: huma.TypeString, Enum: []any{"ok", "error"}},
			}},
			"message": {Type: huma.TypeString, Description: "Why, when status is error."},
		},
		AdditionalProperties: true,
	}
}

// syncMeta is requestMetadata.
type syncMeta struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

func (s *server) syncHandler(ep scrape.Endpoint) func(context.Context, *queryInput) (*syncOutput, error) {
	return func(ctx context.Context, in *queryInput) (*syncOutput, error) {
		meta := syncMeta{ID: requestID(ctx), Status: "ok"}
		acct := accountFrom(ctx)
		if s.usage != nil {
			u, err := s.usage.Usage(ctx, acct.ID)
			if err != nil {
				return nil, s.errorFor(ctx, err)
			}
			if u.Exhausted() {
				return s.syncFailure(meta, http.StatusForbidden, "credits_exhausted",
					fmt.Sprintf("The account has used its %d credits; an operator can raise its quota.", *u.Quota))
			}
		}
		// One per-account bound for every synchronous call, /scrape/web's.
		if !s.webSlots.acquire(acct.ID) {
			return s.syncFailure(meta, http.StatusTooManyRequests, "concurrency_limit",
				fmt.Sprintf("Too many concurrent requests: this account may have %d synchronous calls in flight.", s.webSlots.limit))
		}
		defer s.webSlots.release(acct.ID)

		callCtx, cancel := context.WithTimeout(ctx, syncTimeout)
		defer cancel()
		res, err := ep.Do(callCtx, in.query)
		switch {
		case err == nil:
		case trawl.ErrorCode(err) == trawl.EINVALID:
			return nil, s.errorFor(ctx, err)
		case errors.Is(err, scrape.ErrUnresolved):
			return s.syncFailure(meta, http.StatusBadRequest, "target_unresolved", err.Error())
		case ctx.Err() != nil:
			return nil, s.errorFor(ctx, err) // the client went away
		default:
			s.log.WarnContext(ctx, "synchronous scrape failed", "path", ep.Path, "request_id", meta.ID, "err", err)
			return s.syncFailure(meta, http.StatusBadGateway, "target_unreachable", "The target could not be scraped: "+scrape.DescribeError(err))
		}
		body, err := json.Marshal(res.Body)
		if err != nil || len(body) < 2 || body[0] != '{' {
			return nil, s.errorFor(ctx, errors.New("synchronous scrape: body is not a JSON object"))
		}
		head, err := json.Marshal(meta)
		if err != nil {
			return nil, s.errorFor(ctx, err)
		}
		var b bytes.Buffer
		b.WriteString(`{"requestMetadata":`)
		b.Write(head)
		if len(body) > 2 {
			b.WriteByte(',')
			b.Write(body[1:])
		} else {
			b.WriteByte('}')
		}
		// A successful call is counted; answers other than 200 are not.
		if s.usage != nil && res.Credits > 0 {
			if err := s.usage.AddSyncUsage(context.WithoutCancel(ctx), acct.ID, res.Credits); err != nil {
				s.logInternal(ctx, err)
			}
		}
		return &syncOutput{Status: http.StatusOK, Body: syncBody{raw: b.Bytes()}}, nil
	}
}

// syncFailure is an answer with requestMetadata.status "error", a code
// (as /scrape/web's) and a message.
func (s *server) syncFailure(meta syncMeta, status int, code, msg string) (*syncOutput, error) {
	meta.Status = "error"
	b, err := json.Marshal(struct {
		RequestMetadata syncMeta `json:"requestMetadata"`
		Code            string   `json:"code"`
		Message         string   `json:"message"`
	}{meta, code, sentence(msg)})
	if err != nil {
		return nil, err
	}
	return &syncOutput{Status: status, Body: syncBody{raw: b}}, nil
}
