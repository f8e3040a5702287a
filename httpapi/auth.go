package httpapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/trawlhq/trawl"
)

// Messages of the two 401s.
const (
	msgMissingKey = "Missing API key: send it in the x-api-key header."
	msgUnknownKey = "Invalid API key: it is unknown or has been revoked."
)

type ctxKey int

const (
	accountKey ctxKey = iota
	requestKey
)

// accountFrom returns the account authenticate put in ctx; nil outside an
// operation that needs a key.
func accountFrom(ctx context.Context) *trawl.Account {
	a, _ := ctx.Value(accountKey).(*trawl.Account)
	return a
}

// authenticate is a huma middleware. An operation whose OpenAPI security
// list is empty is public; any other needs a valid API key, and runs with the
// key's account in its context. It runs before huma reads parameters, so an
// unauthenticated request is a 401 whatever else is wrong with it.
func (s *server) authenticate(ctx huma.Context, next func(huma.Context)) {
	if op := ctx.Operation(); len(op.Security) == 0 || op.Metadata[selfAuthenticated] == true {
		next(ctx)
		return
	}
	key := apiKey(ctx.Header)
	if key == "" {
		ctx.SetHeader("WWW-Authenticate", `Bearer realm="trawl"`)
		writeHumaError(ctx, &errorBody{status: http.StatusUnauthorized, Message: msgMissingKey})
		return
	}
	acct, err := s.store.AccountByAPIKey(ctx.Context(), key)
	if err != nil {
		e := s.errorFor(ctx.Context(), err)
		if e.status == http.StatusUnauthorized {
			ctx.SetHeader("WWW-Authenticate", `Bearer realm="trawl", error="invalid_token"`)
			e.Message = msgUnknownKey
		}
		writeHumaError(ctx, e)
		return
	}
	if info := requestInfoFrom(ctx.Context()); info != nil {
		info.accountID = acct.ID
	}
	next(huma.WithValue(ctx, accountKey, acct))
}

// apiKey reads the key from x-api-key or, failing that, from an
// "Authorization: Bearer <key>" header.
func apiKey(header func(string) string) string {
	if k := strings.TrimSpace(header("X-Api-Key")); k != "" {
		return k
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(header("Authorization")), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}
