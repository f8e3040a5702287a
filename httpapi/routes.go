package httpapi

import (
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/trawlhq/trawl/export"
)

// Security scheme names in the OpenAPI document.
const (
	securityAPIKey = "apiKey"
	securityBearer = "bearer"
)

// addRoutes registers the whole API surface. Every route goes through huma,
// so each appears in /openapi.json with its parameters and responses; a test
// checks that nothing is registered on the mux behind huma's back.
func (s *server) addRoutes(api huma.API) {
	// Scraper jobs, HasData-compatible.
	huma.Register(api, s.private(api, huma.Operation{
		OperationID:     "create-job",
		Method:          http.MethodPost,
		Path:            "/scrapers/{slug}/jobs",
		Summary:         "Create a job",
		Description:     "Validates the body for the scraper and stores a pending job; the job runs in the background. Answers 200 with the job record.",
		Tags:            []string{"Jobs"},
		DefaultStatus:   http.StatusOK,
		MaxBodyBytes:    s.maxBody + 1, // huma rejects a body that reaches its limit
		BodyReadTimeout: 30 * time.Second,
		Parameters:      []*huma.Param{s.slugParam()},
	}, 400, 404, 413, 422), s.createJob)

	huma.Register(api, s.private(api, huma.Operation{
		OperationID: "list-jobs",
		Method:      http.MethodGet,
		Path:        "/scrapers/jobs",
		Summary:     "List jobs",
		Description: "The account's jobs, newest first, paged. The page is streamed as it is read.",
		Tags:        []string{"Jobs"},
		Responses: map[string]*huma.Response{"200": {
			Description: "OK",
			Content: map[string]*huma.MediaType{"application/json": {
				Schema: api.OpenAPI().Components.Schemas.Schema(reflect.TypeFor[jobsPage](), true, ""),
			}},
		}},
	}, 422), s.listJobs)

	huma.Register(api, s.private(api, huma.Operation{
		OperationID: "get-job",
		Method:      http.MethodGet,
		Path:        "/scrapers/jobs/{id}",
		Summary:     "Get a job",
		Description: "The job record. A job of another account is 404, like a missing one.",
		Tags:        []string{"Jobs"},
		Parameters:  []*huma.Param{jobIDParam()},
	}, 404), s.getJob)

	huma.Register(api, s.private(api, huma.Operation{
		OperationID: "get-job-results",
		Method:      http.MethodGet,
		Path:        "/scrapers/jobs/{id}/results",
		Summary:     "Get a job's rows",
		Description: "The job's rows in storage order, paged. Rows can be read while the job runs.",
		Tags:        []string{"Jobs"},
		Parameters:  []*huma.Param{jobIDParam()},
	}, 404, 422), s.getResults)

	huma.Register(api, s.private(api, huma.Operation{
		OperationID: "stop-job",
		Method:      http.MethodDelete,
		Path:        "/scrapers/jobs/{id}",
		Summary:     "Stop a job",
		Description: "No new tasks start; tasks in flight finish and their rows are kept. Stopping a job that has ended changes nothing. The answer is the record with jobId in place of id.",
		Tags:        []string{"Jobs"},
		Parameters:  []*huma.Param{jobIDParam()},
	}, 404), s.stopJob)

	huma.Register(api, s.private(api, huma.Operation{
		OperationID: "list-scrapers",
		Method:      http.MethodGet,
		Path:        "/scrapers",
		Summary:     "List scrapers",
		Description: "The scrapers this server runs, with the JSON Schema of their create body and their row columns.",
		Tags:        []string{"Scrapers"},
	}), s.listScrapers)

	// Synchronous scrapes (GET /scrape/…), one route per Config.Endpoints.
	s.addSyncRoutes(api)

	// Probes and the API's own description; no API key needed.
	huma.Register(api, s.public(api, huma.Operation{
		OperationID: "healthz",
		Method:      http.MethodGet,
		Path:        "/healthz",
		Summary:     "Liveness",
		Description: "200 while the process serves requests.",
		Tags:        []string{"Service"},
	}), s.healthz)

	huma.Register(api, s.public(api, huma.Operation{
		OperationID: "readyz",
		Method:      http.MethodGet,
		Path:        "/readyz",
		Summary:     "Readiness",
		Description: "200 when the database answers and the server is ready to take work; 503 otherwise.",
		Tags:        []string{"Service"},
		Responses:   map[string]*huma.Response{"503": unavailableResponse(api)},
	}), s.readyz)

	s.addPageRoutes(api) // /scrape/web, /user/me, /apis

	huma.Register(api, s.public(api, specOperation("openapi-json", "/openapi.json", "application/openapi+json")), s.openAPIJSON)
	huma.Register(api, s.public(api, specOperation("openapi-yaml", "/openapi.yaml", "application/openapi+yaml")), s.openAPIYAML)
}

// private marks op as needing an API key and documents its error responses:
// statuses plus 401 and 500, which every such operation can answer.
func (s *server) private(api huma.API, op huma.Operation, statuses ...int) huma.Operation {
	op.Security = []map[string][]string{{securityAPIKey: {}}, {securityBearer: {}}}
	return withErrors(api, op, append(statuses, http.StatusUnauthorized)...)
}

// public marks op as open to anyone and documents its error responses.
func (s *server) public(api huma.API, op huma.Operation, statuses ...int) huma.Operation {
	op.Security = []map[string][]string{}
	return withErrors(api, op, statuses...)
}

// withErrors documents each status (and 500) as an error response in
// trawl's error shape. Setting the responses here also keeps huma from
// documenting its own error model.
func withErrors(api huma.API, op huma.Operation, statuses ...int) huma.Operation {
	if op.Responses == nil {
		op.Responses = map[string]*huma.Response{}
	}
	schema := errorSchema(api)
	statuses = append(statuses, http.StatusInternalServerError)
	slices.Sort(statuses)
	for _, st := range slices.Compact(statuses) {
		op.Responses[strconv.Itoa(st)] = &huma.Response{
			Description: http.StatusText(st),
			Content:     map[string]*huma.MediaType{"application/json": {Schema: schema}},
		}
	}
	return op
}

// jobIDParam documents the {id} path parameter as the integer it is. The Go
// field behind it is a string, so huma does not reject "abc" with a 422: a
// job id that is not a number is simply an unknown job (404).
func jobIDParam() *huma.Param {
	return &huma.Param{
		Name:        "id",
		In:          "path",
		Required:    true,
		Description: "The job's id.",
		Schema:      &huma.Schema{Type: huma.TypeInteger, Format: "int64", Examples: []any{416349}},
	}
}

// slugParam documents {slug} with the known scrapers. It is documentation
// only: an unknown slug reaches Jobs.Create, whose 404 lists the scrapers.
func (s *server) slugParam() *huma.Param {
	schema := &huma.Schema{Type: huma.TypeString}
	for _, sc := range s.scrapers {
		schema.Enum = append(schema.Enum, sc.Slug)
	}
	return &huma.Param{Name: "slug", In: "path", Required: true, Description: "The scraper's slug.", Schema: schema}
}

// addExportRoutes registers the downloads: the signed links of a job
// record's data (no key: the token is the authorisation) and the same files
// behind the API key. Each key route is its own pattern, which the mux keeps
// apart from /scrapers/jobs/{id}/results.
func (s *server) addExportRoutes(api huma.API) {
	if s.exports.Tokens == nil || s.exports.Rows == nil {
		panic("httpapi: Config.Exports needs Tokens and Rows")
	}
	huma.Register(api, s.public(api, huma.Operation{
		OperationID: "download-export",
		Method:      http.MethodGet,
		Path:        "/exports/{file}",
		Summary:     "Download a job's rows by signed link",
		Description: "The links in a job record's data (and the finished webhook's). The token names the job and the format and expires (24 h by default); it needs no API key. A link that is malformed, tampered with or expired is 404, without saying which.",
		Tags:        []string{"Exports"},
		Responses:   exportResponses(export.Formats()...),
	}, http.StatusNotFound, http.StatusUnprocessableEntity), s.downloadExport)

	for _, f := range export.Formats() {
		huma.Register(api, s.private(api, huma.Operation{
			OperationID: "export-job-" + string(f),
			Method:      http.MethodGet,
			Path:        "/scrapers/jobs/{id}/results." + string(f),
			Summary:     "Download a job's rows as " + strings.ToUpper(string(f)),
			Description: "The same file as the job's signed " + string(f) + " link, with the API key. A job still running gives the rows stored so far.",
			Tags:        []string{"Exports"},
			Parameters:  []*huma.Param{jobIDParam()},
			Responses:   exportResponses(f),
		}, http.StatusNotFound, http.StatusUnprocessableEntity), s.exportResults(f))
	}
}
