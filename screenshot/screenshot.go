package screenshot

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/trawlhq/trawl"
)

// DefaultTTL is how long a screenshot link stays valid unless Config says
// otherwise.
const DefaultTTL = 7 * 24 * time.Hour

// pruneEvery bounds how often Save deletes expired images.
const pruneEvery = time.Hour

// macSize is the bytes of HMAC a token carries; macContext keeps this
// package's MACs from meaning anything to another user of the same secret.
const (
	macSize    = 16
	macContext = "trawl screenshot link\x00"
)

// errInvalid is every refused token: malformed, forged or expired.
var errInvalid = errors.New("screenshot: invalid or expired link")

// Store keeps images; the SQL store implements it.
type Store interface {
	PutScreenshot(ctx context.Context, contentType string, data []byte, at time.Time) (int64, error)
	// Screenshot returns a stored image; an unknown id is trawl.ENOTFOUND.
	Screenshot(ctx context.Context, id int64) (contentType string, data []byte, err error)
	DeleteScreenshotsBefore(ctx context.Context, t time.Time) (int64, error)
}

// Config configures a Service.
type Config struct {
	Store Store // required
	// Secret keys the links' HMAC: at least 16 bytes, shared by every node
	// (trawl uses its export secret).
	Secret []byte
	// BaseURL is the absolute public base of the links.
	BaseURL string
	// TTL is how long a link stays valid; default DefaultTTL.
	TTL    time.Duration
	Now    func() time.Time // default time.Now
	Logger *slog.Logger     // default discards
}

// Service stores screenshots and serves their links. It is safe for
// concurrent use.
type Service struct {
	c Config

	mu        sync.Mutex
	lastPrune time.Time
}

// New returns a Service, or an error naming the field of c that is wrong.
func New(c Config) (*Service, error) {
	if c.Store == nil {
		return nil, errors.New("screenshot: Config.Store is required")
	}
	if len(c.Secret) < 16 {
		return nil, fmt.Errorf("screenshot: Config.Secret is %d bytes, want at least 16", len(c.Secret))
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if u, err := url.Parse(c.BaseURL); err != nil || !u.IsAbs() || u.Host == "" {
		return nil, fmt.Errorf("screenshot: Config.BaseURL %q is not an absolute URL", c.BaseURL)
	}
	if c.TTL <= 0 {
		c.TTL = DefaultTTL
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{c: c}, nil
}

// SaveScreenshot stores image (PNG or JPEG, told apart by its bytes) and
// returns its link, valid for the TTL. It implements page.ScreenshotSaver.
func (s *Service) SaveScreenshot(ctx context.Context, image []byte) (string, error) {
	ct, ext := kind(image)
	if ct == "" {
		return "", errors.New("screenshot: not a PNG or JPEG image")
	}
	now := s.c.Now()
	s.prune(ctx, now)
	id, err := s.c.Store.PutScreenshot(ctx, ct, image, now)
	if err != nil {
		return "", err
	}
	return s.c.BaseURL + "/screenshots/" + s.sign(id, now.Add(s.c.TTL)) + "." + ext, nil
}

// prune deletes images whose links have all expired, at most once an hour.
func (s *Service) prune(ctx context.Context, now time.Time) {
	s.mu.Lock()
	due := now.Sub(s.lastPrune) >= pruneEvery
	if due {
		s.lastPrune = now
	}
	s.mu.Unlock()
	if !due {
		return
	}
	if n, err := s.c.Store.DeleteScreenshotsBefore(ctx, now.Add(-s.c.TTL)); err != nil {
		s.c.Logger.Warn("screenshot: prune", "err", err)
	} else if n > 0 {
		s.c.Logger.Info("screenshot: pruned expired screenshots", "count", n)
	}
}

// kind returns the content type and link extension of a PNG or JPEG image.
func kind(b []byte) (contentType, ext string) {
	switch {
	case len(b) >= 8 && string(b[:8]) == "\x89PNG\r\n\x1a\n":
		return "image/png", "png"
	case len(b) >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff:
		return "image/jpeg", "jpeg"
	}
	return "", ""
}

// sign returns the token of image id valid until expiry: base64url of
// uvarint id, uvarint expiry (Unix seconds), MAC.
func (s *Service) sign(id int64, expiry time.Time) string {
	b := binary.AppendUvarint(nil, uint64(id))
	b = binary.AppendUvarint(b, uint64(max(expiry.Unix(), 0)))
	return base64.RawURLEncoding.EncodeToString(append(b, s.mac(b)...))
}

// verify returns the id a token names, or errInvalid.
func (s *Service) verify(token string, now time.Time) (int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) < 2+macSize {
		return 0, errInvalid
	}
	body, mac := b[:len(b)-macSize], b[len(b)-macSize:]
	if !hmac.Equal(mac, s.mac(body)) {
		return 0, errInvalid
	}
	id, n := binary.Uvarint(body)
	if n <= 0 {
		return 0, errInvalid
	}
	exp, m := binary.Uvarint(body[n:])
	if m <= 0 || n+m != len(body) || now.Unix() >= int64(exp) {
		return 0, errInvalid
	}
	return int64(id), nil
}

func (s *Service) mac(body []byte) []byte {
	h := hmac.New(sha256.New, s.c.Secret)
	h.Write([]byte(macContext))
	h.Write(body)
	return h.Sum(nil)[:macSize]
}

// Handler serves GET /screenshots/<token>.<ext>. Every way a link can be
// wrong (malformed, forged, expired, pruned) is the same 404.
func (s *Service) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		notFound := func() {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprintln(w, `{"message":"Screenshot not found: the link is unknown or has expired."}`)
		}
		file := strings.TrimPrefix(r.URL.Path, "/screenshots/")
		token, ext, ok := strings.Cut(file, ".")
		if !ok || strings.Contains(file, "/") {
			notFound()
			return
		}
		id, err := s.verify(token, s.c.Now())
		if err != nil {
			notFound()
			return
		}
		ct, data, err := s.c.Store.Screenshot(r.Context(), id)
		if trawl.ErrorCode(err) == trawl.ENOTFOUND || (err == nil && ct != "image/"+ext) {
			notFound()
			return
		}
		if err != nil {
			s.c.Logger.Error("screenshot: read", "id", id, "err", err)
			http.Error(w, `{"message":"Internal error."}`, http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", ct)
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		w.Header().Set("Cache-Control", "private, max-age=3600")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if r.Method != http.MethodHead {
			_, _ = w.Write(data)
		}
	})
}
