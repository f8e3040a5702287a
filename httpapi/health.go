package httpapi

import (
	"context"
	"net/http"
	"reflect"
	"time"

	"github.com/danielgtaylor/huma/v2"
)

// readyTimeout bounds the readiness checks, so a hung database makes
// /readyz fail rather than hang the probe.
const readyTimeout = 5 * time.Second

type healthBody struct {
	Status string `json:"status" enum:"ok"`
}

type healthOutput struct {
	Body healthBody
}

func (s *server) healthz(context.Context, *struct{}) (*healthOutput, error) {
	return &healthOutput{Body: healthBody{Status: "ok"}}, nil
}

// unavailable is /readyz's 503 body. It is a huma.StatusError, so huma
// writes it with its status as the body.
type unavailable struct {
	Status  string `json:"status" enum:"unavailable"`
	Message string `json:"message" doc:"Which check failed; details are in the server log."`
}

func (e *unavailable) Error() string  { return e.Message }
func (e *unavailable) GetStatus() int { return http.StatusServiceUnavailable }

func unavailableResponse(api huma.API) *huma.Response {
	schema := api.OpenAPI().Components.Schemas.Schema(reflect.TypeFor[unavailable](), true, "")
	return &huma.Response{
		Description: "Not ready",
		Content:     map[string]*huma.MediaType{"application/json": {Schema: schema}},
	}
}

// readyz checks the database and then Config.Ready. The reason a check failed
// is logged, not shown: the probe needs no key.
func (s *server) readyz(ctx context.Context, _ *struct{}) (*healthOutput, error) {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.log.WarnContext(ctx, "not ready: database", "request_id", requestID(ctx), "err", err)
		return nil, &unavailable{Status: "unavailable", Message: "The database is not answering."}
	}
	if s.ready != nil {
		if err := s.ready(ctx); err != nil {
			s.log.WarnContext(ctx, "not ready", "request_id", requestID(ctx), "err", err)
			return nil, &unavailable{Status: "unavailable", Message: "The server is not ready to take work."}
		}
	}
	return &healthOutput{Body: healthBody{Status: "ok"}}, nil
}
