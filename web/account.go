package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/trawlhq/trawl"
)

type accountPage struct {
	Account          *trawl.Account
	PreviousUntil    []time.Time // when each rotated-out secret that still signs stops, newest first
	Keys             []*trawl.APIKey
	CurrentKeyPrefix string
	NewKey           string // a key just created, shown this once
}

func (w *Console) accountPage(rw http.ResponseWriter, r *http.Request, s *session) {
	w.showAccount(rw, r, s, s.account, "")
}

func (w *Console) showAccount(rw http.ResponseWriter, r *http.Request, s *session, a *trawl.Account, newKey string) {
	keys, err := w.c.Store.AccountAPIKeys(r.Context(), a.ID)
	if err != nil {
		w.internal(rw, r, err)
		return
	}
	p := accountPage{Account: a, Keys: keys, CurrentKeyPrefix: trawl.KeyPrefix(s.key), NewKey: newKey}
	now := w.c.Now()
	for _, prev := range a.PreviousSecrets {
		if now.Before(prev.ExpiresAt) {
			p.PreviousUntil = append(p.PreviousUntil, prev.ExpiresAt)
		}
	}
	v := viewFor(s, "Account", "account")
	v.Notice = noticeText(r.URL.Query().Get("done"))
	if newKey != "" {
		v.Notice = "A new API key was created. Copy it now: it is shown only this once."
	}
	w.render(rw, r, http.StatusOK, "account", v, p)
}

// rotateSecret makes a new signing secret, as POST
// /account/webhook-secret/rotate does.
func (w *Console) rotateSecret(rw http.ResponseWriter, r *http.Request, s *session) {
	now := w.c.Now()
	if _, err := w.c.Accounts.RotateWebhookSecret(r.Context(), s.account.ID, trawl.NewWebhookSecret(), now.Add(w.c.SecretOverlap)); err != nil {
		w.internal(rw, r, err)
		return
	}
	http.Redirect(rw, r, "/console/account?done=rotated", http.StatusSeeOther)
}

// createKey makes another API key for the account and shows it once. The
// page is the answer to the POST itself, so the key never sits in a URL.
func (w *Console) createKey(rw http.ResponseWriter, r *http.Request, s *session) {
	key := trawl.NewAPIKey()
	if _, err := w.c.Store.CreateAPIKey(r.Context(), s.account.ID, key); err != nil {
		w.internal(rw, r, err)
		return
	}
	w.showAccount(rw, r, s, s.account, key)
}

// revokeKey revokes one of the account's keys, by id. The key of the
// session itself is kept: revoking it would sign the viewer out mid-action.
func (w *Console) revokeKey(rw http.ResponseWriter, r *http.Request, s *session) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		w.notFound(rw, r, s)
		return
	}
	keys, err := w.c.Store.AccountAPIKeys(r.Context(), s.account.ID)
	if err != nil {
		w.internal(rw, r, err)
		return
	}
	var key *trawl.APIKey
	for _, k := range keys {
		if k.ID == id {
			key = k
		}
	}
	switch {
	case key == nil:
		w.notFound(rw, r, s)
		return
	case key.Prefix == trawl.KeyPrefix(s.key):
		w.render(rw, r, http.StatusConflict, "error", viewFor(s, "Cannot revoke", "account"),
			errorPage{Message: "This is the key you signed in with. Sign in with another key to revoke it."})
		return
	case key.RevokedAt == nil:
		if err := w.c.Store.RevokeAPIKey(r.Context(), strconv.FormatInt(key.ID, 10)); err != nil {
			w.internal(rw, r, err)
			return
		}
	}
	http.Redirect(rw, r, "/console/account?done=revoked", http.StatusSeeOther)
}
