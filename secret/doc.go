// Package secret keeps trawl's stored secrets encrypted at rest: the values
// of webhook headers, the accounts' webhook signing secrets and the
// export-link signing key. A [Box] seals a value with AES-256-GCM under the
// server's secret key and opens it again; the key itself lives outside the
// database, in a file of the data folder (created with mode 0600 on first
// start) or in TRAWL_SECRET_KEY.
//
// A sealed value is text, so it fits the columns that held the plain value:
// "tsec1:" + key id + ":" + base64url(nonce ‖ ciphertext). The key id (the
// first bytes of a hash of the key) tells which key sealed a value, so a Box
// holding the new key and the old one opens both while a rotation re-seals
// the database (see [Box.Reseal]). Text without the "tsec1:" mark is a value
// stored before encryption existed: Open returns it as it is, and the store
// seals it at the next start.
package secret
