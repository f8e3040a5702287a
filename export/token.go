package export

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Token layout: base64url (unpadded) of
//
//	version (1 byte) | uvarint job id | format (1 byte) | uvarint expiry (Unix seconds) | MAC (16 bytes)
//
// where MAC is the first 16 bytes of HMAC-SHA256(secret, macContext || the
// bytes before it). 128 bits of MAC cannot be guessed; the context keeps the
// secret's MACs from meaning anything anywhere else.
const (
	tokenVersion = 1
	macSize      = 16
	macContext   = "trawl export link\x00"
)

// MinSecretBytes is the shortest signing secret NewSigner accepts.
const MinSecretBytes = 16

// DefaultLinkTTL is how long a link stays valid unless SignerConfig says
// otherwise.
const DefaultLinkTTL = 24 * time.Hour

// ErrInvalidToken is what Verify returns for every token it refuses:
// malformed, tampered with, signed with another secret, or expired. It
// deliberately does not say which.
var ErrInvalidToken = errors.New("export: invalid or expired link")

var formatCodes = map[Format]byte{FormatJSON: 1, FormatCSV: 2, FormatXLSX: 3}

func formatOfCode(c byte) (Format, bool) {
	for f, code := range formatCodes {
		if code == c {
			return f, true
		}
	}
	return "", false
}

// SignerConfig configures a Signer.
type SignerConfig struct {
	// Secret keys the links' HMAC; at least MinSecretBytes. Every node that
	// serves links must share it (trawl keeps it in the database).
	Secret []byte
	// BaseURL is the absolute base of the links, such as
	// "https://trawl.example.com"; a trailing slash is dropped.
	BaseURL string
	// TTL is how long a link made by Links stays valid; default
	// DefaultLinkTTL.
	TTL time.Duration
	// Now is the clock of Links; default time.Now.
	Now func() time.Time
}

// Signer makes and checks signed, expiring download links. It is safe for
// concurrent use.
type Signer struct {
	secret []byte
	base   string
	ttl    time.Duration
	now    func() time.Time
}

// NewSigner returns a Signer, or an error naming the field of c that is
// wrong.
func NewSigner(c SignerConfig) (*Signer, error) {
	if len(c.Secret) < MinSecretBytes {
		return nil, fmt.Errorf("export: Secret is %d bytes, want at least %d", len(c.Secret), MinSecretBytes)
	}
	if c.TTL < 0 {
		return nil, fmt.Errorf("export: TTL %v is negative", c.TTL)
	}
	if c.TTL == 0 {
		c.TTL = DefaultLinkTTL
	}
	base := strings.TrimRight(c.BaseURL, "/")
	if u, err := url.Parse(base); err != nil || !u.IsAbs() || u.Host == "" {
		return nil, fmt.Errorf("export: BaseURL %q is not an absolute URL", c.BaseURL)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return &Signer{secret: append([]byte(nil), c.Secret...), base: base, ttl: c.TTL, now: c.Now}, nil
}

// Links are a job's download links, one per format. Their JSON keys are
// those of the job record's and the finished webhook's data object.
type Links struct {
	JSON string `json:"json"`
	CSV  string `json:"csv"`
	XLSX string `json:"xlsx"`
}

// Links returns jobID's download links, valid for the signer's TTL from now.
// Each call signs afresh, so a job polled twice gets two sets of links, both
// good until they expire.
func (s *Signer) Links(jobID int64) Links {
	expiry := s.now().Add(s.ttl)
	return Links{
		JSON: s.URL(jobID, FormatJSON, expiry),
		CSV:  s.URL(jobID, FormatCSV, expiry),
		XLSX: s.URL(jobID, FormatXLSX, expiry),
	}
}

// URL returns the absolute download link of jobID in format f, valid until
// expiry: <base>/exports/<token>.<ext>.
func (s *Signer) URL(jobID int64, f Format, expiry time.Time) string {
	return s.base + "/exports/" + s.Sign(jobID, f, expiry) + "." + string(f)
}

// Sign returns a URL-safe token naming jobID and format f, valid until
// expiry (to the second, rounded up).
func (s *Signer) Sign(jobID int64, f Format, expiry time.Time) string {
	exp := expiry.Unix()
	if expiry.Nanosecond() > 0 {
		exp++
	}
	b := make([]byte, 0, 1+binary.MaxVarintLen64+1+binary.MaxVarintLen64+macSize)
	b = append(b, tokenVersion)
	b = binary.AppendUvarint(b, uint64(jobID))
	b = append(b, formatCodes[f])
	b = binary.AppendUvarint(b, uint64(max(exp, 0)))
	b = append(b, s.mac(b)...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Verify checks token at time now and returns the job and format it names.
// Any token that is malformed, was not signed with this signer's secret, or
// has expired (now at or past its expiry) is ErrInvalidToken.
func (s *Signer) Verify(token string, now time.Time) (jobID int64, f Format, err error) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) < 4+macSize {
		return 0, "", ErrInvalidToken
	}
	body, mac := b[:len(b)-macSize], b[len(b)-macSize:]
	if !hmac.Equal(mac, s.mac(body)) {
		return 0, "", ErrInvalidToken
	}
	if body[0] != tokenVersion {
		return 0, "", ErrInvalidToken
	}
	rest := body[1:]
	id, n := binary.Uvarint(rest)
	if n <= 0 || id == 0 || id > 1<<63-1 {
		return 0, "", ErrInvalidToken
	}
	rest = rest[n:]
	if len(rest) < 2 {
		return 0, "", ErrInvalidToken
	}
	f, ok := formatOfCode(rest[0])
	if !ok {
		return 0, "", ErrInvalidToken
	}
	exp, n := binary.Uvarint(rest[1:])
	if n <= 0 || n != len(rest)-1 || exp > 1<<63-1 || now.Unix() >= int64(exp) {
		return 0, "", ErrInvalidToken
	}
	return int64(id), f, nil
}

func (s *Signer) mac(body []byte) []byte {
	h := hmac.New(sha256.New, s.secret)
	h.Write([]byte(macContext))
	h.Write(body)
	return h.Sum(nil)[:macSize]
}
