package web

import (
	"net/http"
	"strings"

	"github.com/trawlhq/trawl"
)

type loginPage struct {
	Next  string
	Error string
}

func (w *Console) loginPage(rw http.ResponseWriter, r *http.Request) {
	if _, err := w.session(r); err == nil {
		http.Redirect(rw, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	rw.Header().Set("Cache-Control", "no-store")
	w.render(rw, r, http.StatusOK, "login", &view{Title: "Sign in"}, loginPage{Next: safeNext(r.URL.Query().Get("next"))})
}

// login exchanges an API key for a session cookie.
func (w *Console) login(rw http.ResponseWriter, r *http.Request) {
	rw.Header().Set("Cache-Control", "no-store")
	if !sameOrigin(r) {
		http.Error(rw, "This form came from another site.", http.StatusForbidden)
		return
	}
	key := strings.TrimSpace(r.PostFormValue("key"))
	next := safeNext(r.PostFormValue("next"))
	if key == "" {
		w.render(rw, r, http.StatusUnprocessableEntity, "login", &view{Title: "Sign in"}, loginPage{Next: next, Error: "Enter an API key."})
		return
	}
	if _, err := w.c.Store.AccountByAPIKey(r.Context(), key); err != nil {
		if trawl.ErrorCode(err) != trawl.EUNAUTHORIZED {
			w.internal(rw, r, err)
			return
		}
		w.render(rw, r, http.StatusUnauthorized, "login", &view{Title: "Sign in"},
			loginPage{Next: next, Error: "That API key is unknown or has been revoked."})
		return
	}
	w.sessions.start(rw, r, key)
	http.Redirect(rw, r, next, http.StatusSeeOther)
}

func (w *Console) logout(rw http.ResponseWriter, r *http.Request, _ *session) {
	w.sessions.clear(rw, r)
	http.Redirect(rw, r, "/console/login", http.StatusSeeOther)
}

// safeNext keeps a post-sign-in destination inside the console, so the
// sign-in page cannot send anyone elsewhere.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/console/") || strings.HasPrefix(next, "/console/login") ||
		strings.ContainsAny(next, "\\\r\n") || strings.Contains(next, "//") {
		return "/console/"
	}
	return next
}
