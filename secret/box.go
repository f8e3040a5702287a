package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// mark starts every sealed value.
const mark = "tsec1:"

// MinKeyLength is the shortest key material a Box accepts: the key file holds
// 43 characters of base64 (32 random bytes), and an operator's
// TRAWL_SECRET_KEY must be at least this long.
const MinKeyLength = 32

// ErrUnknownKey is returned, wrapped, by Open for a value sealed under a key
// the Box does not hold (the wrong TRAWL_SECRET_KEY, or a key file from
// another installation).
var ErrUnknownKey = errors.New("sealed under a key this trawl does not have")

type key struct {
	id   string
	aead cipher.AEAD
}

// Box seals and opens values. The first key seals; every key opens what it
// sealed. A Box is immutable and safe for concurrent use.
type Box struct {
	keys []key
}

// NewBox returns a Box that seals with current and also opens values sealed
// with any of older. Each is key material of at least MinKeyLength
// characters; the AES-256 key is its SHA-256, so any long random text works.
func NewBox(current string, older ...string) (*Box, error) {
	b := &Box{}
	for i, material := range append([]string{current}, older...) {
		if len(material) < MinKeyLength {
			if i == 0 {
				return nil, fmt.Errorf("the secret key must be at least %d characters", MinKeyLength)
			}
			return nil, fmt.Errorf("older secret key %d must be at least %d characters", i, MinKeyLength)
		}
		k, err := newKey(material)
		if err != nil {
			return nil, err
		}
		b.keys = append(b.keys, k)
	}
	return b, nil
}

func newKey(material string) (key, error) {
	sum := sha256.Sum256([]byte("trawl secret key v1\x00" + material))
	block, err := aes.NewCipher(sum[:])
	if err != nil {
		return key{}, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return key{}, err
	}
	idSum := sha256.Sum256(append([]byte("trawl key id\x00"), sum[:]...))
	return key{id: hex.EncodeToString(idSum[:4]), aead: aead}, nil
}

// KeyID names the sealing key without revealing it: 8 hex digits.
func (b *Box) KeyID() string { return b.keys[0].id }

// Seal encrypts plain under the current key. The empty string stays empty:
// there is nothing to hide, and "no value" stays recognisable.
func (b *Box) Seal(plain string) string {
	if plain == "" {
		return ""
	}
	k := b.keys[0]
	nonce := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+len(plain)+k.aead.Overhead())
	_, _ = rand.Read(nonce)
	sealed := k.aead.Seal(nonce, nonce, []byte(plain), []byte(k.id))
	return mark + k.id + ":" + base64.RawURLEncoding.EncodeToString(sealed)
}

// Open decrypts a value Seal made with any key of the Box. A value that is
// not sealed at all (stored before encryption) is returned as it is.
func (b *Box) Open(value string) (string, error) {
	rest, ok := strings.CutPrefix(value, mark)
	if !ok {
		return value, nil
	}
	id, data, ok := strings.Cut(rest, ":")
	if !ok {
		return "", errors.New("open secret: malformed sealed value")
	}
	for _, k := range b.keys {
		if k.id != id {
			continue
		}
		raw, err := base64.RawURLEncoding.DecodeString(data)
		if err != nil || len(raw) < k.aead.NonceSize() {
			return "", errors.New("open secret: malformed sealed value")
		}
		n := k.aead.NonceSize()
		plain, err := k.aead.Open(nil, raw[:n], raw[n:], []byte(k.id))
		if err != nil {
			return "", fmt.Errorf("open secret: %w", err)
		}
		return string(plain), nil
	}
	return "", fmt.Errorf("open secret (key %s): %w", id, ErrUnknownKey)
}

// Current reports whether value is sealed under the Box's current key (or is
// empty), so that a pass over stored values can skip those already done.
func (b *Box) Current(value string) bool {
	return value == "" || strings.HasPrefix(value, mark+b.keys[0].id+":")
}

// Reseal opens value with any key of the Box and seals it again under the
// current one; a value already sealed under the current key is returned as
// it is.
func (b *Box) Reseal(value string) (string, error) {
	if b.Current(value) {
		return value, nil
	}
	plain, err := b.Open(value)
	if err != nil {
		return "", err
	}
	return b.Seal(plain), nil
}

// Sealed reports whether value is a sealed value (under any key).
func Sealed(value string) bool { return strings.HasPrefix(value, mark) }
