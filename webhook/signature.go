package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// secretPrefix marks a Standard Webhooks symmetric secret; the rest is the
// base64 (standard encoding) of the HMAC key.
const secretPrefix = "whsec_"

// Sign returns the Standard Webhooks v1 signature entry for one delivery:
// "v1," followed by the standard base64 encoding of
// HMAC-SHA256(key, id + "." + unix seconds of ts + "." + body), where key is
// the base64-decoded part of secret after its "whsec_" prefix.
//
// Several entries (one per live secret during a rotation) are joined with a
// single space in the webhook-signature header; receivers accept a message if
// any entry matches. Sign fails if secret lacks the "whsec_" prefix, is not
// valid base64, or decodes to an empty key; the error never contains the
// secret itself. Only ts's whole seconds are signed, matching the
// webhook-timestamp header.
func Sign(secret, id string, ts time.Time, body []byte) (string, error) {
	key, err := decodeSecret(secret)
	if err != nil {
		return "", err
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id))
	mac.Write([]byte{'.'})
	mac.Write(strconv.AppendInt(nil, ts.Unix(), 10))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)), nil
}

// decodeSecret returns the HMAC key inside a "whsec_" secret.
func decodeSecret(secret string) ([]byte, error) {
	enc, ok := strings.CutPrefix(secret, secretPrefix)
	if !ok {
		return nil, errors.New("webhook secret: missing " + secretPrefix + " prefix")
	}
	key, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		// err names only the offending offset, never the secret's content.
		return nil, fmt.Errorf("webhook secret: decode base64: %w", err)
	}
	if len(key) == 0 {
		return nil, errors.New("webhook secret: empty key")
	}
	return key, nil
}

// signatureHeader returns the webhook-signature value for secrets: one
// "v1,<sig>" entry per secret, in order, separated by single spaces.
func signatureHeader(secrets []string, id string, ts time.Time, body []byte) (string, error) {
	entries := make([]string, 0, len(secrets))
	for i, secret := range secrets {
		sig, err := Sign(secret, id, ts, body)
		if err != nil {
			return "", fmt.Errorf("sign with secret %d: %w", i+1, err)
		}
		entries = append(entries, sig)
	}
	return strings.Join(entries, " "), nil
}
