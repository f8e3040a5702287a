package trawl

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
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

// KeyPrefix returns the displayable start of a key.
func KeyPrefix(key string) string {
	const n = len(APIKeyPrefix) + 6
	if len(key) <= n {
		return key
	}
	return key[:n]
}
