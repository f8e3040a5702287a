package trawl

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// NewUUID returns a random (version 4) UUID in its canonical text form.
func NewUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// APIKeyPrefix starts every key trawl makes, so that a leaked key is easy to
// recognise in logs and by secret scanners.
const APIKeyPrefix = "trawl_"

// NewAPIKey returns a fresh random API key (192 bits of entropy).
func NewAPIKey() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return APIKeyPrefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// HashAPIKey returns the hash under which a key is stored. Keys are long and
// random, so one SHA-256 is enough; a slow password hash would add nothing but
// latency to every request.
func HashAPIKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// WebhookSecretPrefix starts every webhook signing secret, as in Standard
// Webhooks.
const WebhookSecretPrefix = "whsec_"

// NewWebhookSecret returns a fresh signing secret: "whsec_" and 32 random
// bytes in standard base64.
func NewWebhookSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return WebhookSecretPrefix + base64.StdEncoding.EncodeToString(b[:])
}

// KeyPrefixChars is how many characters of a key's own (after the "trawl_"
// mark of keys trawl makes) are kept to tell keys apart in listings.
const KeyPrefixChars = 4

// KeyPrefix returns the displayable start of a key: "trawl_" and 4
// characters for keys trawl makes, the first 4 characters of any other key.
// It is never more than a small part of a key: operator keys are at least 32
// characters, and a shorter key (from before that rule) shows at most a
// quarter of itself.
func KeyPrefix(key string) string {
	start := 0
	if strings.HasPrefix(key, APIKeyPrefix) {
		start = len(APIKeyPrefix)
	}
	n := min(KeyPrefixChars, (len(key)-start)/4)
	return key[:start+n]
}

// MinOperatorKeyLength is the shortest API key an operator may set with
// TRAWL_API_KEY.
const MinOperatorKeyLength = 32

// CheckOperatorKey refuses an API key chosen by an operator that is short or
// trivially weak: fewer than MinOperatorKeyLength characters, fewer than 8
// different characters, a short piece repeated (abcabc…), or mostly a run
// of consecutive characters (abcdef…, 123456…). Keys trawl makes itself
// (NewAPIKey) always pass.
func CheckOperatorKey(key string) error {
	if len(key) < MinOperatorKeyLength {
		return fmt.Errorf("the key is %d characters; use at least %d random characters (for example `openssl rand -hex 24`)",
			len(key), MinOperatorKeyLength)
	}
	distinct := map[rune]bool{}
	for _, r := range key {
		distinct[r] = true
	}
	if len(distinct) < 8 {
		return fmt.Errorf("the key uses only %d different characters; use a random key (for example `openssl rand -hex 24`)", len(distinct))
	}
	for p := 1; p <= len(key)/2; p++ {
		if key[p:] == key[:len(key)-p] {
			return errors.New("the key repeats a short piece; use a random key (for example `openssl rand -hex 24`)")
		}
	}
	run := 0
	for i := 1; i < len(key); i++ {
		if d := int(key[i]) - int(key[i-1]); d == 1 || d == -1 {
			run++
		}
	}
	if run > len(key)/2 {
		return errors.New("the key is mostly consecutive characters; use a random key (for example `openssl rand -hex 24`)")
	}
	return nil
}
