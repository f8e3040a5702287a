package web

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/store"
)

func TestSecurityHeadersOnEveryPage(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	br := b.browser()
	br.signIn(b.keyA)
	job := b.job(b.a.ID, nil)
	for _, path := range []string{"/", "/console/login", "/console/", "/console/new", "/console/account",
		fmt.Sprintf("/console/jobs/%d", job.ID), "/console/nope", "/console/static/app.js"} {
		resp, _ := br.get(path)
		h := resp.Header
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"script-src 'self'", "frame-ancestors 'none'", "default-src 'none'", "base-uri 'none'", "form-action 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: CSP allows unsafe scripts or styles: %q", path, csp)
		}
		if h.Get("X-Frame-Options") != "DENY" || h.Get("Referrer-Policy") != "same-origin" || h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: headers %v", path, h)
		}
	}
}

func TestSignInAndOut(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	br := b.browser()

	resp, _ := br.get("/console/account")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/login?next=%2Fconsole%2Faccount" {
		t.Fatalf("signed out: %d to %q, want the sign-in page", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body := br.post("/console/login", url.Values{"key": {"trawl_nope"}})
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "unknown or has been revoked") {
		t.Errorf("wrong key: %d", resp.StatusCode)
	}
	if len(resp.Cookies()) != 0 {
		t.Errorf("a wrong key got a cookie: %v", resp.Cookies())
	}
	resp, _ = br.postFrom("https://evil.example", "/console/login", url.Values{"key": {b.keyA}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("sign-in from another site: %d, want 403", resp.StatusCode)
	}
	resp, _ = br.post("/console/login", url.Values{"key": {b.keyA}, "next": {"//evil.example/x"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/" {
		t.Errorf("sign-in with an outside next: to %q, want /console/", resp.Header.Get("Location"))
	}
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == cookieName {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Secure || session.Path != "/" {
		t.Fatalf("session cookie over plain HTTP: %+v; want HttpOnly, SameSite=Strict, not Secure", session)
	}
	if strings.Contains(session.Value, b.keyA) {
		t.Errorf("the cookie shows the API key")
	}
	resp, body = br.get("/console/account")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "alpha") {
		t.Fatalf("signed in: %d", resp.StatusCode)
	}
	m := csrfRE.FindStringSubmatch(body)
	br.csrf = m[1]

	// A forged or damaged cookie is no session.
	forged := b.browser()
	u, _ := url.Parse(b.srv.URL)
	forged.client.Jar.SetCookies(u, []*http.Cookie{{Name: cookieName, Value: session.Value[:len(session.Value)-4] + "AAAA"}})
	if resp, _ := forged.get("/console/"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("forged cookie: %d, want a redirect to sign in", resp.StatusCode)
	}

	resp, _ = br.post("/console/logout", br.withCSRF(nil))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/login" {
		t.Fatalf("sign out: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := br.get("/console/"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after signing out: %d, want a redirect to sign in", resp.StatusCode)
	}
}

func TestSecureCookie(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		publicURL string
		tls       bool
	}{
		"served over TLS":    {"http://trawl.test", true},
		"behind a TLS proxy": {"https://trawl.example", false},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, func(c *Config) { c.PublicURL = tc.publicURL })
			req := httptest.NewRequest(http.MethodPost, "/console/login", strings.NewReader(url.Values{"key": {b.keyA}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tc.tls {
				req.TLS = &tls.ConnectionState{}
			}
			rec := httptest.NewRecorder()
			b.console.ServeHTTP(rec, req)
			cookies := rec.Result().Cookies()
			if len(cookies) != 1 || !cookies[0].Secure || !cookies[0].HttpOnly || cookies[0].SameSite != http.SameSiteStrictMode {
				t.Errorf("cookies %+v, want one Secure, HttpOnly, SameSite=Strict", cookies)
			}
		})
	}
}

func TestRevokedKeyEndsSessions(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	br := b.browser()
	br.signIn(b.keyA)
	keys, _ := b.db.AccountAPIKeys(t.Context(), b.a.ID)
	if err := b.db.RevokeAPIKey(t.Context(), fmt.Sprint(keys[0].ID)); err != nil {
		t.Fatal(err)
	}
	if resp, _ := br.get("/console/"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("session of a revoked key: %d, want a redirect to sign in", resp.StatusCode)
	}
}

// TestCSRF: every state-changing form needs the session's token and, when
// the browser names one, this site's origin. Nothing happens otherwise.
func TestCSRF(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	br := b.browser()
	br.signIn(b.keyA)
	job := b.job(b.a.ID, nil)
	stop := fmt.Sprintf("/console/jobs/%d/stop", job.ID)
	secret := b.a.WebhookSecret

	for name, tc := range map[string]struct {
		origin string
		form   url.Values
	}{
		"no token":         {b.srv.URL, url.Values{}},
		"wrong token":      {b.srv.URL, url.Values{"csrf": {"forged"}}},
		"another site":     {"https://evil.example", br.withCSRF(nil)},
		"an opaque origin": {"null", br.withCSRF(nil)},
	} {
		for _, path := range []string{stop, "/console/account/rotate", "/console/account/keys", "/console/logout"} {
			resp, _ := br.postFrom(tc.origin, path, tc.form)
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s: POST %s: %d, want 403", name, path, resp.StatusCode)
			}
		}
	}
	if got := b.jobs.stops(); len(got) != 0 {
		t.Errorf("a forged form stopped jobs %v", got)
	}
	if a, _ := b.db.Account(t.Context(), b.a.ID); a.WebhookSecret != secret {
		t.Errorf("a forged form rotated the secret")
	}
	if keys, _ := b.db.AccountAPIKeys(t.Context(), b.a.ID); len(keys) != 1 {
		t.Errorf("a forged form made keys: %d", len(keys))
	}

	// A session's real form works; a client that sends no Origin (not a
	// browser) still needs the token.
	if resp, _ := br.post(stop, br.withCSRF(nil)); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("a real stop: %d", resp.StatusCode)
	}
	if resp, _ := br.postFrom("", stop, br.withCSRF(nil)); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("a real stop without Origin: %d", resp.StatusCode)
	}
	if got := b.jobs.stops(); !slices.Equal(got, []int64{job.ID, job.ID}) {
		t.Errorf("stopped %v, want job %d twice", got, job.ID)
	}
	// A token of another session is no good either.
	other := b.browser()
	other.signIn(b.keyA)
	if resp, _ := br.post(stop, url.Values{"csrf": {other.csrf}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("another session's token: %d, want 403", resp.StatusCode)
	}
}

// TestCrossAccount: a session sees and touches only its own account.
func TestCrossAccount(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	jobA := b.job(b.a.ID, func(j *trawl.Job) { j.Status = trawl.StatusInProgress })
	brB := b.browser()
	brB.signIn(b.keyB)
	id := fmt.Sprint(jobA.ID)

	if _, body := brB.get("/console/"); strings.Contains(body, "/console/jobs/"+id+`"`) {
		t.Errorf("B's jobs list shows A's job")
	}
	if resp, _ := brB.get("/console/jobs/" + id); resp.StatusCode != http.StatusNotFound {
		t.Errorf("B reads A's job: %d, want 404", resp.StatusCode)
	}
	for _, path := range []string{"/console/jobs/" + id + "/stop", "/console/jobs/" + id + "/redeliver-failed",
		"/console/jobs/" + id + "/deliveries/msg_x/redeliver"} {
		if resp, _ := brB.post(path, brB.withCSRF(nil)); resp.StatusCode != http.StatusNotFound {
			t.Errorf("B posts %s: %d, want 404", path, resp.StatusCode)
		}
	}
	if len(b.jobs.stops()) != 0 || len(b.webhooks.redelivered) != 0 {
		t.Errorf("B changed A's job: stops %v, redeliveries %v", b.jobs.stops(), b.webhooks.redelivered)
	}
	keysA, _ := b.db.AccountAPIKeys(t.Context(), b.a.ID)
	if resp, _ := brB.post(fmt.Sprintf("/console/account/keys/%d/revoke", keysA[0].ID), brB.withCSRF(nil)); resp.StatusCode != http.StatusNotFound {
		t.Errorf("B revokes A's key: %d, want 404", resp.StatusCode)
	}
	if keys, _ := b.db.AccountAPIKeys(t.Context(), b.a.ID); keys[0].RevokedAt != nil {
		t.Errorf("B revoked A's key")
	}
	_, body := brB.get("/console/account")
	if strings.Contains(body, escaped(b.a.WebhookSecret)) || strings.Contains(body, keysA[0].Prefix) {
		t.Errorf("B's account page shows A's secret or keys")
	}
}

// TestHostileContentIsText: what scraped sites and receivers said is
// escaped wherever the console shows it.
func TestHostileContentIsText(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	hostile := `<script>alert(1)</script>"><img src=x onerror=alert(2)>`
	job := b.job(b.a.ID, func(j *trawl.Job) { j.StopReason = hostile; j.Status = trawl.StatusFailed })
	row, _ := json.Marshal(map[string]any{"url": "https://x.example/", "title": hostile, "extra " + hostile: strings.Repeat(hostile, 5)})
	event := &trawl.Event{ID: "msg_1", AccountID: b.a.ID, JobID: job.ID, Type: trawl.EventJobStarted, Payload: json.RawMessage(`{}`)}
	err := b.db.InTx(t.Context(), func(tx store.Tx) error {
		if _, err := tx.InsertRows(job, []json.RawMessage{row}); err != nil {
			return err
		}
		if err := tx.InsertEvents(event); err != nil {
			return err
		}
		return tx.RecordAttempt(&trawl.DeliveryAttempt{EventID: event.ID, JobID: job.ID, Attempt: 1, StatusCode: 500,
			ErrorClass: "http_status", Error: hostile, ResponseExcerpt: hostile})
	})
	if err != nil {
		t.Fatal(err)
	}
	br := b.browser()
	br.signIn(b.keyA)
	_, body := br.get(fmt.Sprintf("/console/jobs/%d", job.ID))
	for _, raw := range []string{"<script>alert", "<img src=x", `"><img`} {
		if strings.Contains(body, raw) {
			t.Errorf("the job page holds %q unescaped", raw)
		}
	}
	if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("the hostile title is not shown as text")
	}
	if strings.Count(body, "<script") != 1 { // the console's own app.js
		t.Errorf("the page has %d script elements, want 1", strings.Count(body, "<script"))
	}
}

func TestNewJobForm(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	br := b.browser()
	br.signIn(b.keyA)

	_, body := br.get("/console/new")
	for _, want := range []string{`name="p.urls"`, `name="p.maxDepth"`, `min="0"`, `max="5"`, `placeholder="1"`,
		`name="p.outputFormat" value="text" checked`, `name="p.respectRobotsTxt" value="true" id="p.respectRobotsTxt" checked`,
		`<option value="fast">`, `name="webhook.url"`, `name="webhook.events" value="scraper.job.finished" checked`,
		`name="webhook.maxAttempts"`, "URLs", "Start URLs."} {
		if !strings.Contains(body, want) {
			t.Errorf("the form lacks %s", want)
		}
	}
	if resp, _ := br.get("/console/new?scraper=nope"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown scraper: %d", resp.StatusCode)
	}

	form := br.withCSRF(url.Values{"scraper": {"crawler"}, "p.urls": {"https://a.example/\n https://b.example/ \n"},
		"p.maxDepth": {"9"}, "p.outputFormat": {"text", "html"}, "p.respectRobotsTxt": {"true"},
		"webhook.url": {"https://hooks.example/x"}, "webhook.headers": {"X-Token: abc\nX-Two: 2"}, "webhook.maxAttempts": {"2"},
		"webhook.events": {"scraper.job.finished"}})
	resp, body := br.post("/console/new", form)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="err.maxDepth">maxDepth must be an integer between 0 and 5`) {
		t.Fatalf("bad depth: %d, want 422 with the error next to the field", resp.StatusCode)
	}
	if !strings.Contains(body, `value="9"`) || !strings.Contains(body, "https://hooks.example/x") {
		t.Errorf("the form did not keep what was entered")
	}
	var sent map[string]any
	_ = json.Unmarshal(b.jobs.created[0], &sent)
	want := map[string]any{"urls": []any{"https://a.example/", "https://b.example/"}, "maxDepth": 9.0, "outputFormat": []any{"text", "html"},
		"webhook": map[string]any{"url": "https://hooks.example/x", "events": []any{"scraper.job.finished"},
			"headers": map[string]any{"X-Token": "abc", "X-Two": "2"}, "maxAttempts": 2.0}}
	if got, _ := json.Marshal(sent); string(got) != mustJSON(want) {
		t.Errorf("create body:\n got %s\nwant %s", got, mustJSON(want))
	}

	form.Set("action", "curl")
	form.Set("p.maxDepth", "2")
	_, body = br.post("/console/new", form)
	if !strings.Contains(body, "curl -X POST &#39;http://trawl.test/scrapers/crawler/jobs&#39;") || !strings.Contains(body, "x-api-key: $TRAWL_API_KEY") {
		t.Errorf("no curl command shown")
	}
	if len(b.jobs.created) != 1 {
		t.Errorf("showing curl created a job")
	}

	form.Set("action", "create")
	resp, _ = br.post("/console/new", form)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/console/jobs/") {
		t.Fatalf("create: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, body = br.get(resp.Header.Get("Location"))
	if !strings.Contains(body, "No rows yet") || !strings.Contains(body, `id="stop"`) {
		t.Errorf("a new job's page lacks its empty state or stop button")
	}
}

func TestAccountPage(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	br := b.browser()
	br.signIn(b.keyA)
	_, body := br.get("/console/account")
	if !strings.Contains(body, `<details id="secret">`) || !strings.Contains(body, escaped(b.a.WebhookSecret)) {
		t.Errorf("the secret is not behind a disclosure")
	}
	resp, _ := br.post("/console/account/rotate", br.withCSRF(nil))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("rotate: %d", resp.StatusCode)
	}
	a, _ := b.db.Account(t.Context(), b.a.ID)
	if a.WebhookSecret == b.a.WebhookSecret || len(a.PreviousSecrets) != 1 || a.PreviousSecrets[0].Secret != b.a.WebhookSecret {
		t.Errorf("after rotation: %+v", a)
	}
	_, body = br.get(resp.Header.Get("Location"))
	if !strings.Contains(body, escaped(a.WebhookSecret)) || !strings.Contains(body, `id="previous-secret"`) {
		t.Errorf("the page does not show the new secret and the overlap")
	}

	_, body = br.post("/console/account/keys", br.withCSRF(nil))
	m := regexpKey.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no new key shown")
	}
	if acct, err := b.db.AccountByAPIKey(t.Context(), m[1]); err != nil || acct.ID != b.a.ID {
		t.Fatalf("the new key does not work for the account: %v", err)
	}
	keys, _ := b.db.AccountAPIKeys(t.Context(), b.a.ID)
	resp, _ = br.post(fmt.Sprintf("/console/account/keys/%d/revoke", keys[0].ID), br.withCSRF(nil))
	if resp.StatusCode != http.StatusConflict {
		t.Errorf("revoking the session's own key: %d, want 409", resp.StatusCode)
	}
	resp, _ = br.post(fmt.Sprintf("/console/account/keys/%d/revoke", keys[1].ID), br.withCSRF(nil))
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("revoke: %d", resp.StatusCode)
	}
	if _, err := b.db.AccountByAPIKey(t.Context(), m[1]); trawl.ErrorCode(err) != trawl.EUNAUTHORIZED {
		t.Errorf("the revoked key still works: %v", err)
	}
}

var regexpKey = regexp.MustCompile(`id="new-key">(trawl_[A-Za-z0-9_-]+)<`)

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// escaped is s as html/template writes it in text.
func escaped(s string) string {
	return strings.ReplaceAll(template.HTMLEscapeString(s), "+", "&#43;")
}
