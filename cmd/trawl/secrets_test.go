package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/secret"
	"github.com/trawlhq/trawl/store/postgres"
	"github.com/trawlhq/trawl/store/sqlite"
)

func TestServeRefusesAWeakAPIKey(t *testing.T) {
	t.Parallel()
	for _, key := range []string{"a", "trawl_test_key_1", strings.Repeat("x", 40), "abcdefghijklmnopqrstuvwxyz0123456789"} {
		env := map[string]string{"TRAWL_API_KEY": key, "TRAWL_DATA_DIR": t.TempDir()}
		var stdout, stderr bytes.Buffer
		err := run(t.Context(), []string{"serve", "--addr", "127.0.0.1:0"}, func(k string) string { return env[k] }, &stdout, &stderr)
		if err == nil || !strings.Contains(err.Error(), "TRAWL_API_KEY") {
			t.Errorf("serve with TRAWL_API_KEY=%q: %v, want a refusal naming TRAWL_API_KEY", key, err)
		}
	}
}

// rawSecrets returns what the database really holds in the tables that keep
// secrets, read without the key.
func rawSecrets(t *testing.T, env map[string]string) string {
	t.Helper()
	var db *sql.DB
	if url := env["TRAWL_DATABASE_URL"]; url != "" {
		pg, err := postgres.Open(t.Context(), url, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer pg.Close()
		db = pg.Writer()
	} else {
		lite, err := sqlite.Open(env["TRAWL_DATA_DIR"], nil)
		if err != nil {
			t.Fatal(err)
		}
		defer lite.Close()
		db = lite.Writer()
	}
	var b strings.Builder
	for _, q := range []string{`SELECT webhook_secret || previous_secrets FROM accounts`,
		`SELECT COALESCE(webhook, '') || input FROM jobs`, `SELECT value FROM settings`} {
		rows, err := db.QueryContext(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			_ = rows.Scan(&s)
			b.WriteString(s + "\n")
		}
		rows.Close()
	}
	return b.String()
}

// TestSecretsKeptSecret creates a job whose webhook carries a secret header,
// checks the API never shows the value and the database never holds it (or
// the signing secrets) in the clear, while the receiver gets it; then
// rotates the key with `trawl secrets rotate-key` and checks everything
// still works under the new key.
func TestSecretsKeptSecret(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, db map[string]string) {
		const header = "Bearer hdr-Zq8vN3pLw5Kx"
		web := newSite(t, 0, false)
		rc := &receiver{}
		hook := httptest.NewServer(rc)
		t.Cleanup(hook.Close)
		env := testEnv(db)
		in := start(t, env)

		keyFile := filepath.Join(env["TRAWL_DATA_DIR"], secret.KeyFile)
		if fi, err := os.Stat(keyFile); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("key file: %v, %v; want it created with mode 0600", fi, err)
		}
		var account accountBody
		in.do("POST", "/account/webhook-secret/rotate", nil, &account)
		if len(account.WebhookSecret) == 0 {
			t.Fatalf("rotate: %+v", account)
		}
		body := fmt.Sprintf(`{"urls":[%q],"maxDepth":0,"webhook":{"url":%q,"headers":{"Authorization":%q}}}`, web.URL, hook.URL, header)
		var raw map[string]any
		for _, check := range []func() string{
			func() string { in.do("POST", "/scrapers/crawler/jobs", body, &raw); return fmt.Sprint(raw) },
			func() string { in.do("GET", "/scrapers/jobs", nil, &raw); return fmt.Sprint(raw) },
			func() string { in.do("GET", "/scrapers/jobs/1", nil, &raw); return fmt.Sprint(raw) },
		} {
			got := check()
			if strings.Contains(got, "hdr-Zq8") || !strings.Contains(got, "Authorization:"+trawl.HeaderMask) {
				t.Errorf("API shows %s; want the header name with a masked value", got)
			}
		}
		in.waitTerminal(1, 60*time.Second)
		waitFor(t, 20*time.Second, "a delivery", func() bool { return len(rc.all()) > 0 })
		if got := rc.all()[0].Header.Get("Authorization"); got != header {
			t.Errorf("receiver got Authorization %q, want %q", got, header)
		}
		in.stop()

		stored := rawSecrets(t, env)
		for _, v := range []string{header, "hdr-Zq8", account.WebhookSecret, strings.TrimPrefix(account.WebhookSecret, "whsec_")} {
			if strings.Contains(stored, v) {
				t.Errorf("the database holds %q in the clear", v)
			}
		}
		before, _ := os.ReadFile(keyFile)

		var stdout, stderr bytes.Buffer
		if err := run(context.Background(), []string{"secrets", "rotate-key"}, func(k string) string { return env[k] }, &stdout, &stderr); err != nil {
			t.Fatalf("rotate-key: %v\n%s", err, stderr.String())
		}
		after, _ := os.ReadFile(keyFile)
		if bytes.Equal(before, after) || !strings.Contains(stdout.String(), "re-encrypted") {
			t.Fatalf("rotate-key did not replace the key: %s", stdout.String())
		}
		if stored2 := rawSecrets(t, env); stored2 == stored {
			t.Error("rotate-key left the stored values as they were")
		}

		in = start(t, env)
		var again accountBody
		if code := in.do("GET", "/account", nil, &again); code != 200 || again.WebhookSecret != account.WebhookSecret {
			t.Errorf("after rotation the account's secret is %q (%d), want %q", again.WebhookSecret, code, account.WebhookSecret)
		}
		var job map[string]any
		if code := in.do("GET", "/scrapers/jobs/1", nil, &job); code != 200 {
			t.Errorf("job after rotation: %d", code)
		}
		in.stop()

		// Someone else's key cannot read them.
		other := map[string]string{}
		for k, v := range env {
			other[k] = v
		}
		other["TRAWL_SECRET_KEY"] = secret.NewKey()
		err := run(context.Background(), []string{"keys", "list"}, func(k string) string { return other[k] }, &stdout, &stderr)
		if err == nil || !strings.Contains(err.Error(), "same key") {
			t.Errorf("with another key: %v, want a refusal saying nodes need the same key", err)
		}
	})
}

// TestRotateAnEnvironmentKey: with TRAWL_SECRET_KEY, rotate-key moves every
// stored secret to the key given as TRAWL_NEW_SECRET_KEY; the old key then
// reads nothing and the new one everything.
func TestRotateAnEnvironmentKey(t *testing.T) {
	t.Parallel()
	oldKey, newKey := secret.NewKey(), secret.NewKey()
	env := map[string]string{"TRAWL_DATA_DIR": t.TempDir(), "TRAWL_SECRET_KEY": oldKey}
	cli := func(extra map[string]string, args ...string) (string, error) {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), args, func(k string) string {
			if v, ok := extra[k]; ok {
				return v
			}
			return env[k]
		}, &stdout, &stderr)
		return stdout.String(), err
	}
	out, err := cli(nil, "keys", "create", "--account-name", "acme")
	if err != nil {
		t.Fatal(err)
	}
	whsec := out[strings.Index(out, "whsec_"):]
	whsec = whsec[:strings.IndexByte(whsec, '\n')]
	if _, err := os.Stat(filepath.Join(env["TRAWL_DATA_DIR"], secret.KeyFile)); !os.IsNotExist(err) {
		t.Errorf("a key file was written although TRAWL_SECRET_KEY is set: %v", err)
	}
	if _, err := cli(nil, "secrets", "rotate-key"); err == nil || !strings.Contains(err.Error(), "TRAWL_NEW_SECRET_KEY") {
		t.Errorf("rotate-key without the new key: %v", err)
	}
	if out, err := cli(map[string]string{"TRAWL_NEW_SECRET_KEY": newKey}, "secrets", "rotate-key"); err != nil || !strings.Contains(out, "TRAWL_SECRET_KEY") {
		t.Fatalf("rotate-key: %q, %v", out, err)
	}
	if _, err := cli(nil, "keys", "list"); err == nil {
		t.Error("the old key still opens the stored secrets")
	}
	out, err = cli(map[string]string{"TRAWL_SECRET_KEY": newKey}, "keys", "create")
	if err != nil || !strings.Contains(out, whsec) {
		t.Errorf("with the new key: %q, %v; want the account's secret %s back", out, err, whsec)
	}
}
