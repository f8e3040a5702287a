package web

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"time"
)

// cookieName is the session cookie's name.
const cookieName = "trawl_session"

// sessions seals and opens session cookies. A cookie holds the API key
// signed in with, its expiry and the session's CSRF token, encrypted and
// authenticated (AES-GCM) under a key derived from the session secret, so
// it can be neither read nor forged. Each request checks the key again: a
// revoked key ends its sessions at once. Signing out deletes the cookie.
type sessions struct {
	aead   cipher.AEAD
	ttl    time.Duration
	secure bool // always mark cookies Secure (served behind TLS)
	now    func() time.Time
}

// sessionValue is a cookie's content.
type sessionValue struct {
	Key     string `json:"k"`
	CSRF    string `json:"c"`
	Expires int64  `json:"e"` // Unix seconds
}

func newSessions(secret []byte, ttl time.Duration, secure bool, now func() time.Time) *sessions {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("trawl console session v1"))
	block, err := aes.NewCipher(mac.Sum(nil))
	if err != nil {
		panic(err) // a 32-byte key is always valid
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return &sessions{aead: aead, ttl: ttl, secure: secure, now: now}
}

// start sets a new session cookie for key and returns its CSRF token.
func (s *sessions) start(w http.ResponseWriter, r *http.Request, key string) {
	token := make([]byte, 24)
	_, _ = rand.Read(token)
	expires := s.now().Add(s.ttl)
	plain, _ := json.Marshal(sessionValue{Key: key, CSRF: base64.RawURLEncoding.EncodeToString(token), Expires: expires.Unix()})
	nonce := make([]byte, s.aead.NonceSize())
	_, _ = rand.Read(nonce)
	sealed := s.aead.Seal(nonce, nonce, plain, []byte(cookieName))
	http.SetCookie(w, s.cookie(r, base64.RawURLEncoding.EncodeToString(sealed), expires))
}

// read opens the request's session cookie; false when there is none, or it
// is forged, damaged or expired.
func (s *sessions) read(r *http.Request) (sessionValue, bool) {
	c, err := r.Cookie(cookieName)
	if err != nil {
		return sessionValue{}, false
	}
	sealed, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil || len(sealed) < s.aead.NonceSize() {
		return sessionValue{}, false
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, sealed[:n], sealed[n:], []byte(cookieName))
	if err != nil {
		return sessionValue{}, false
	}
	var v sessionValue
	if json.Unmarshal(plain, &v) != nil || v.Key == "" || v.CSRF == "" || s.now().Unix() >= v.Expires {
		return sessionValue{}, false
	}
	return v, true
}

// clear deletes the session cookie.
func (s *sessions) clear(w http.ResponseWriter, r *http.Request) {
	c := s.cookie(r, "", time.Unix(0, 0))
	c.MaxAge = -1
	http.SetCookie(w, c)
}

func (s *sessions) cookie(r *http.Request, value string, expires time.Time) *http.Cookie {
	return &http.Cookie{
		Name:     cookieName,
		Value:    value,
		Path:     "/",
		Expires:  expires,
		HttpOnly: true,
		Secure:   s.secure || r.TLS != nil,
		SameSite: http.SameSiteStrictMode,
	}
}

// validPost reports whether a state-changing request carries the session's
// CSRF token (form field "csrf") and, when the browser names one, comes
// from this server's origin. The session cookie is SameSite=Strict too, so
// a cross-site form post arrives without it.
func (s *sessions) validPost(r *http.Request, csrf string) bool {
	if !sameOrigin(r) {
		return false
	}
	got := r.PostFormValue("csrf")
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(csrf)) == 1
}

// sameOrigin reports whether the request's Origin header, when present,
// names the host the request was sent to.
func sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		// Browsers send Origin with every POST; a missing one is a client
		// that is not a browser, which cannot ride on a victim's cookie.
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host == r.Host
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
