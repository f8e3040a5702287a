package httpapi

import (
	"context"
	"maps"
	"math"
	"regexp"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/trawlhq/trawl"
)

// scraperRecord describes one scraper for GET /scrapers.
type scraperRecord struct {
	Slug        string         `json:"slug" doc:"The path segment of POST /scrapers/{slug}/jobs."`
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Parameters  map[string]any `json:"parameters" doc:"JSON Schema of the create body."`
	Columns     []string       `json:"columns" nullable:"false" doc:"The row fields, in export order."`
}

type scraperList struct {
	Data []scraperRecord `json:"data" nullable:"false"`
}

type scrapersOutput struct {
	Body scraperList
}

func (s *server) listScrapers(context.Context, *struct{}) (*scrapersOutput, error) {
	list := scraperList{Data: make([]scraperRecord, 0, len(s.scrapers))}
	for _, sc := range s.scrapers {
		r := scraperRecord{Slug: sc.Slug, Name: sc.Name, Description: sc.Description, Parameters: sc.Params, Columns: sc.Columns}
		if r.Parameters == nil {
			r.Parameters = map[string]any{"type": "object"}
		}
		if r.Columns == nil {
			r.Columns = []string{}
		}
		list.Data = append(list.Data, r)
	}
	return &scrapersOutput{Body: list}, nil
}

// documentCreateBody replaces the request body huma documents for a raw
// body (an opaque octet stream) with what the endpoint reads: a JSON object
// holding the shared limit and webhook plus one scraper's parameters, each
// scraper's schema a named component. huma does not validate the body
// against it (the scraper does, in Jobs.Create); it is documentation.
func (s *server) documentCreateBody(api huma.API) {
	oapi := api.OpenAPI()
	schemas := oapi.Components.Schemas.Map()
	ref := func(name string) *huma.Schema { return &huma.Schema{Ref: "#/components/schemas/" + name} }

	schemas["Webhook"] = webhookSchema()
	schemas["JobEnvelope"] = &huma.Schema{
		Type:        huma.TypeObject,
		Description: "The fields every scraper's create body shares.",
		Properties: map[string]*huma.Schema{
			"limit": {Type: huma.TypeInteger, Minimum: ptr(0.0), Maximum: ptr(float64(math.MaxInt32)),
				Description: "Stop after storing this many rows (the job then finishes with stopReason data_limit_exceeded); 0 or absent = no limit."},
			"webhook": ref("Webhook"),
		},
		AdditionalProperties: true,
	}
	body := ref("JobEnvelope")
	if len(s.scrapers) > 0 {
		var per []*huma.Schema
		var names []string
		for _, sc := range s.scrapers {
			name := componentName(sc.Slug) + "Params"
			// Extensions are written inline, so the scraper's JSON Schema
			// appears exactly as it declares it.
			schemas[name] = &huma.Schema{Extensions: maps.Clone(sc.Params)}
			per = append(per, ref(name))
			names = append(names, sc.Slug+": "+name)
		}
		body = &huma.Schema{
			Description: "The scraper's parameters (which depend on {slug}: " + strings.Join(names, ", ") + ") and the shared limit and webhook.",
			AllOf:       []*huma.Schema{ref("JobEnvelope"), {AnyOf: per}},
		}
	}
	op := oapi.Paths["/scrapers/{slug}/jobs"].Post
	op.RequestBody = &huma.RequestBody{
		Description: "The job's parameters. They are stored as submitted (fields the scraper does not know are left out, webhook header values masked) and shown back as the record's input.",
		Required:    true,
		Content:     map[string]*huma.MediaType{"application/json": {Schema: body}},
	}
	// Each scraper's create path is described on its own too, with exactly
	// its body: a client (or a generated one) sees which fields, types and
	// ranges that scraper takes. A concrete path takes precedence over the
	// templated one, which still answers 404 for an unknown slug.
	for _, sc := range s.scrapers {
		one := *op
		one.OperationID = "create-" + sc.Slug + "-job"
		one.Summary = "Create a " + sc.Slug + " job"
		one.Parameters = nil
		one.RequestBody = &huma.RequestBody{
			Description: op.RequestBody.Description,
			Required:    true,
			Content: map[string]*huma.MediaType{"application/json": {Schema: &huma.Schema{
				AllOf: []*huma.Schema{ref("JobEnvelope"), ref(componentName(sc.Slug) + "Params")},
			}}},
		}
		responses := maps.Clone(op.Responses)
		delete(responses, "404") // the slug is known
		one.Responses = responses
		oapi.Paths["/scrapers/"+sc.Slug+"/jobs"] = &huma.PathItem{Post: &one}
	}
}

func webhookSchema() *huma.Schema {
	events := make([]any, 0, len(trawl.Events()))
	for _, e := range trawl.Events() {
		events = append(events, e)
	}
	return &huma.Schema{
		Type:        huma.TypeObject,
		Description: "Where to POST the job's events. Deliveries are signed with Standard Webhooks headers. Per job, scraper.job.started is delivered before any other event, and scraper.job.finished only after every other event was delivered or ran out of attempts.",
		Required:    []string{"url"},
		Properties: map[string]*huma.Schema{
			"url": {Type: huma.TypeString, Format: "uri", MaxLength: ptr(trawl.MaxWebhookURLLen),
				Pattern:     `^[Hh][Tt][Tt][Pp][Ss]?://[^/?#@\s]+([/?#].*)?$`,
				Description: "An absolute http or https URL, without user:password@ (send credentials in headers)."},
			"events": {Type: huma.TypeArray, Items: &huma.Schema{Type: huma.TypeString, Enum: events}, UniqueItems: true,
				Description: "The events to send, each once; absent = all but the older alias scraper.data.rows_added."},
			"headers": {Type: huma.TypeObject, MaxProperties: ptr(trawl.MaxWebhookHeaders),
				AdditionalProperties: &huma.Schema{Type: huma.TypeString, MaxLength: ptr(trawl.MaxHeaderValueLen), Pattern: `^[^\r\n\x00]*$`},
				Extensions:           map[string]any{"propertyNames": headerNameSchema()},
				Description:          "Headers sent on every delivery. Names are HTTP tokens; trawl's own (Content-Type, User-Agent, webhook-*, and the connection's) cannot be set. Values are shown masked in job records."},
			"maxAttempts": {Type: huma.TypeInteger, Minimum: ptr(1.0), Maximum: ptr(float64(trawl.MaxWebhookAttempts)),
				Description: "Delivery attempts per event; absent = the server default."},
			"ordered": {Type: huma.TypeBoolean, Default: false,
				Description: "Strict order: the job's events go one at a time, each after the one before it was delivered or ran out of attempts. A receiver that is slow or down then holds back the job's later events."},
		},
	}
}

// headerNameSchema describes the header names a webhook may set: an HTTP
// token that is none of trawl's own, in any case.
func headerNameSchema() map[string]any {
	anyCase := func(name string) string {
		var b strings.Builder
		for _, r := range name {
			if lo, up := strings.ToLower(string(r)), strings.ToUpper(string(r)); lo != up {
				b.WriteString("[" + up + lo + "]")
			} else {
				b.WriteString(regexp.QuoteMeta(string(r)))
			}
		}
		return b.String()
	}
	var forbidden []string
	for _, h := range trawl.ForbiddenHeaders() {
		forbidden = append(forbidden, anyCase(h))
	}
	forbidden = append(forbidden, anyCase("webhook-")+".*")
	return map[string]any{
		"pattern": "^[!#$%&'*+\\-.^_`|~0-9A-Za-z]+$",
		"not":     map[string]any{"pattern": "^(" + strings.Join(forbidden, "|") + ")$"},
	}
}

// componentName turns a slug into a schema name: "google-maps" → "GoogleMaps".
func componentName(slug string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(slug, func(r rune) bool { return r == '-' || r == '_' || r == '.' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

func ptr[T any](v T) *T { return &v }
