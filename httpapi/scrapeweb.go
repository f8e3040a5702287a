package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/scrape"
	"github.com/trawlhq/trawl/scrape/page"
)

// WebScraper reads one page with its options; *page.Engine implements it.
type WebScraper interface {
	Scrape(ctx context.Context, req page.Request) (*page.Result, error)
	// Check adds to v the options this trawl cannot serve (aiExtractRules
	// without a model, a proxy label no pool has).
	Check(v *trawl.Invalid, o *page.Options)
	// Limits are the schemas (allOf) that say in the description what
	// Check refuses on this trawl.
	Limits(renderOn bool) []any
}

// Usage counts what accounts spend and holds their quotas; the SQL store
// implements it.
type Usage interface {
	// AddSyncUsage counts one synchronous call that spent credits.
	AddSyncUsage(ctx context.Context, accountID, credits int64) error
	// Usage returns what the account has spent and its quota.
	Usage(ctx context.Context, accountID int64) (*trawl.Usage, error)
	// QuotaExhausted reports whether the account has reached its quota,
	// cheaply when it has none.
	QuotaExhausted(ctx context.Context, accountID int64) (bool, error)
}

// DefaultWebConcurrency is how many /scrape/web calls one account may have
// in flight when Config.WebConcurrency is zero.
const DefaultWebConcurrency = 5

// webDefaults are the page options of /scrape/web before the request's own:
// HasData's schema defaults, except screenshot, which needs a browser.
func webDefaults() page.Options {
	return page.Options{JSRendering: true, ExtractEmails: true, BlockResources: true, BlockAds: true}
}

// webTimeout bounds one /scrape/web call.
const webTimeout = 290 * time.Second

// slots bounds the calls each account has in flight.
type slots struct {
	mu    sync.Mutex
	limit int
	inUse map[int64]int
}

func (s *slots) acquire(account int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inUse[account] >= s.limit {
		return false
	}
	s.inUse[account]++
	return true
}

func (s *slots) release(account int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inUse[account]--; s.inUse[account] <= 0 {
		delete(s.inUse, account)
	}
}

func (s *slots) used(account int64) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inUse[account]
}

// addWebRoutes registers GET and POST /scrape/web.
func (s *server) addWebRoutes(api huma.API) {
	params := page.OptionProps(webDefaults())
	params["url"] = map[string]any{"type": "string", "format": "uri", "description": "The page to read (http or https)."}
	for _, method := range []string{http.MethodPost, http.MethodGet} {
		op := huma.Operation{
			OperationID: "scrape-web-" + strings.ToLower(method),
			Method:      method,
			Path:        "/scrape/web",
			Summary:     "Read one page now (" + method + ")",
			Description: "HasData's Web Scraping API. Exactly one of html, text or markdown in outputFormat answers the raw page " +
				"in that format; anything else answers a JSON object with requestMetadata, statusCode, statusText, headers, " +
				"the formats (html is the key content), extractedData, aiResponse, emails and links. A target's 404 is a 200 " +
				"with statusCode 404; a target that cannot be reached is a 502 with requestMetadata.status \"error\".",
			Tags:      []string{"Web Scraping API"},
			Responses: webResponses(),
		}
		if method == http.MethodPost {
			op.MaxBodyBytes = s.maxBody + 1
			op.BodyReadTimeout = 30 * time.Second
			op.SkipValidateBody = true // parseWebBody validates, with the same messages as GET
			op.RequestBody = &huma.RequestBody{Required: true, Content: map[string]*huma.MediaType{
				"application/json": {Schema: webBodySchema(params, s.web.Limits(true))}}}
		} else {
			// The query carries the POST body's fields in HasData's loose
			// encoding (booleans as text, arrays as repeats or comma lists,
			// objects as JSON text); the POST body's schema says what each
			// field allows.
			op.Extensions = map[string]any{"x-query-as-body": "POST /scrape/web"}
			for _, name := range append([]string{"url"}, page.OptionNames()...) {
				op.Parameters = append(op.Parameters, &huma.Param{Name: name, In: "query", Required: name == "url",
					Description: describe(params[name]), Schema: &huma.Schema{Type: huma.TypeString}})
			}
		}
		op = s.private(api, op, 400, 403, 413, 422, 429, 502)
		// 403, 429 and 502 answer in HasData's shape: requestMetadata.status
		// "error", a code and a message.
		documentFailures(api, &op, map[int]string{
			http.StatusForbidden:       "The account's credits are used up: code credits_exhausted.",
			http.StatusTooManyRequests: "Too many synchronous calls of the account in flight: code concurrency_limit.",
			http.StatusBadGateway:      "The target could not be reached or read: code target_unreachable.",
		})
		if method == http.MethodPost {
			huma.Register(api, op, func(ctx context.Context, in *webPostInput) (*webOutput, error) {
				return s.scrapeWeb(ctx, in.RawBody)
			})
		} else {
			huma.Register(api, op, func(ctx context.Context, in *queryInput) (*webOutput, error) {
				return s.scrapeWeb(ctx, page.FromQuery(in.query, "url"))
			})
		}
	}
}

// webBodySchema is the POST body's schema, shared with GET /apis/web_scraping.
func webBodySchema(props map[string]any, limits []any) *huma.Schema {
	body := map[string]any{"type": "object", "required": []string{"url"}, "properties": props}
	if len(limits) > 0 {
		body["allOf"] = limits
	}
	b, _ := json.Marshal(body)
	var sch huma.Schema
	_ = json.Unmarshal(b, &sch)
	return &sch
}

func describe(p any) string {
	if m, ok := p.(map[string]any); ok {
		if d, ok := m["description"].(string); ok {
			return d
		}
	}
	return ""
}

func webResponses() map[string]*huma.Response {
	str := &huma.Schema{Type: huma.TypeString}
	return map[string]*huma.Response{"200": {
		Description: "The page: a JSON object, or the raw page when exactly one non-JSON format was asked for.",
		Content: map[string]*huma.MediaType{
			"application/json": {Schema: &huma.Schema{Type: huma.TypeObject}},
			"text/html":        {Schema: str}, "text/plain": {Schema: str}, "text/markdown": {Schema: str},
		},
	}}
}

// webPostInput is a POST /scrape/web request: its JSON body.
type webPostInput struct {
	RawBody []byte
}

type webOutput struct {
	Status      int
	ContentType string `header:"Content-Type"`
	Body        []byte
}

// scrapeWeb serves both methods once the request is a JSON body.
func (s *server) scrapeWeb(ctx context.Context, body []byte) (*webOutput, error) {
	target, opts, err := parseWebBody(body, s.web)
	if err != nil {
		return nil, s.errorFor(ctx, err)
	}
	acct := accountFrom(ctx)
	if s.usage != nil {
		u, err := s.usage.Usage(ctx, acct.ID)
		if err != nil {
			return nil, s.errorFor(ctx, err)
		}
		if u.Exhausted() {
			return webError(http.StatusForbidden, "credits_exhausted",
				fmt.Sprintf("The account has used its %d credits; an operator can raise its quota.", *u.Quota), "")
		}
	}
	if !s.webSlots.acquire(acct.ID) {
		return webError(http.StatusTooManyRequests, "concurrency_limit",
			fmt.Sprintf("Too many concurrent requests: this account may have %d /scrape/web calls in flight.", s.webSlots.limit), "")
	}
	defer s.webSlots.release(acct.ID)

	ctx, cancel := context.WithTimeout(ctx, webTimeout)
	defer cancel()
	id := newRequestUUID()
	res, err := s.web.Scrape(ctx, page.Request{URL: target, Options: &opts})
	if err != nil {
		if errors.Is(err, page.ErrNoLLM) {
			var v trawl.Invalid
			v.Add("aiExtractRules", "%s", page.ErrNoLLM.Error())
			return nil, s.errorFor(ctx, v.Err())
		}
		if ctx.Err() != nil && errors.Is(err, context.Canceled) {
			return nil, s.errorFor(ctx, err)
		}
		return webError(http.StatusBadGateway, "target_unreachable", scrape.DescribeError(err), id)
	}
	if s.usage != nil {
		if err := s.usage.AddSyncUsage(context.WithoutCancel(ctx), acct.ID, res.Credits); err != nil {
			s.logInternal(ctx, err)
		}
	}
	return webResponse(id, target, res, &opts)
}

// parseWebBody reads url and the page options of a /scrape/web request.
func parseWebBody(body []byte, web WebScraper) (string, page.Options, error) {
	var v trawl.Invalid
	var in struct {
		URL json.RawMessage `json:"url"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return "", page.Options{}, trawl.Errorf(trawl.EMALFORMED, "The request body is not a JSON object: %v.", err)
	}
	var target string
	if !scrape.Present(in.URL) || json.Unmarshal(in.URL, &target) != nil || strings.TrimSpace(target) == "" {
		v.Add("url", "is required: the http or https URL of the page")
	} else if len(target) > page.MaxURLLen {
		v.Add("url", "must be at most %d characters", page.MaxURLLen)
	} else if u, err := url.Parse(strings.TrimSpace(target)); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		v.Add("url", "must be an absolute http or https URL, not %q", target)
	} else {
		target = u.String()
	}
	opts := page.ParseOptions(&v, body, webDefaults())
	if v.Err() == nil {
		web.Check(&v, &opts)
	}
	return target, opts, v.Err()
}
