package httpapi

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"
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
		Description: "The account's jobs, newest first, paged.",
		Tags:        []string{"Jobs"},
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
