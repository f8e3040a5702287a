package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
)

// spec is the API's OpenAPI document, marshalled once New has registered
// every route; it never changes afterwards.
type spec struct {
	json []byte
	yaml []byte
}

// specOperation documents one of the routes that serve the document itself.
func specOperation(id, path, contentType string) huma.Operation {
	return huma.Operation{
		OperationID: id,
		Method:      http.MethodGet,
		Path:        path,
		Summary:     "This API's OpenAPI 3.1 document",
		Tags:        []string{"Service"},
		Responses: map[string]*huma.Response{"200": {
			Description: "The OpenAPI document",
			Content:     map[string]*huma.MediaType{contentType: {Schema: &huma.Schema{Type: huma.TypeObject}}},
		}},
	}
}

type specOutput struct {
	ContentType string `header:"Content-Type"`
	Body        []byte
}

func (s *server) openAPIJSON(context.Context, *struct{}) (*specOutput, error) {
	return &specOutput{ContentType: "application/openapi+json", Body: s.spec.json}, nil
}

func (s *server) openAPIYAML(context.Context, *struct{}) (*specOutput, error) {
	return &specOutput{ContentType: "application/openapi+yaml", Body: s.spec.yaml}, nil
}

// finishSpec completes the document once every route is registered and
// marshals it. A document that cannot be marshalled is a programming error,
// so it panics, as huma does for a bad registration.
func (s *server) finishSpec(api huma.API) {
	s.documentCreateBody(api)
	documentMetrics(api)
	// huma registers its own error model while registering each operation,
	// even though withErrors documents trawl's instead; drop it.
	schemas := api.OpenAPI().Components.Schemas.Map()
	delete(schemas, "ErrorModel")
	delete(schemas, "ErrorDetail")

	var err error
	if s.spec.json, err = json.Marshal(api.OpenAPI()); err != nil {
		panic(fmt.Errorf("httpapi: marshal OpenAPI document: %w", err))
	}
	if s.spec.yaml, err = api.OpenAPI().YAML(); err != nil {
		panic(fmt.Errorf("httpapi: marshal OpenAPI document as YAML: %w", err))
	}
}

// documentMetrics describes GET /metrics, which the trawl command serves on
// every node (beside this handler, so that worker nodes have it too).
func documentMetrics(api huma.API) {
	api.OpenAPI().Paths["/metrics"] = &huma.PathItem{Get: &huma.Operation{
		OperationID: "metrics",
		Method:      http.MethodGet,
		Path:        "/metrics",
		Summary:     "Prometheus metrics",
		Description: "Jobs by status, rows stored, queue depth, webhook attempts by outcome and class, attempt and delivery latency, in the Prometheus text format. No API key: expose it only where Prometheus can reach it.",
		Tags:        []string{"Service"},
		Security:    []map[string][]string{},
		Responses: map[string]*huma.Response{"200": {
			Description: "The metrics",
			Content:     map[string]*huma.MediaType{"text/plain": {Schema: &huma.Schema{Type: huma.TypeString}}},
		}},
	}}
}
