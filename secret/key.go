package secret

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeyFile is the name of the key file in trawl's data folder.
const KeyFile = "secret.key"

// NextKeyFile holds the new key while a rotation re-seals the database; a
// Box loaded from the folder opens values sealed with it too, so a rotation
// cut short by a crash loses nothing.
const NextKeyFile = "secret.key.next"

// NewKey returns fresh key material: 32 random bytes in base64url.
func NewKey() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Load returns the Box trawl runs with. With fromEnv set (TRAWL_SECRET_KEY)
// that is the key, and it must be at least MinKeyLength characters. Without
// it the key is read from dir/secret.key, which is created (mode 0600, the
// folder 0700) when missing; created reports that. A leftover
// secret.key.next from an interrupted rotation is loaded as an older key.
func Load(dir, fromEnv string) (box *Box, created bool, err error) {
	if fromEnv != "" {
		box, err := NewBox(strings.TrimSpace(fromEnv))
		if err != nil {
			return nil, false, fmt.Errorf("TRAWL_SECRET_KEY: %w", err)
		}
		return box, false, nil
	}
	path := filepath.Join(dir, KeyFile)
	current, err := readKey(path)
	if errors.Is(err, fs.ErrNotExist) {
		current, err = createKey(dir, KeyFile, NewKey())
		created = err == nil
	}
	if err != nil {
		return nil, false, err
	}
	var older []string
	if next, err := readKey(filepath.Join(dir, NextKeyFile)); err == nil {
		older = append(older, next)
	}
	box, err = NewBox(current, older...)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", path, err)
	}
	return box, created, nil
}

func readKey(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// createKey writes material to dir/name with mode 0600, failing if the file
// exists (two processes starting at once agree on the first one's key: the
// loser reads it).
func createKey(dir, name, material string) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("create data folder: %w", err)
	}
	path := filepath.Join(dir, name)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return readKey(path)
	}
	if err != nil {
		return "", fmt.Errorf("create %s: %w", path, err)
	}
	if _, err := f.WriteString(material + "\n"); err != nil {
		f.Close()
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return material, f.Close()
}

// RotateFile replaces the key in dir's key file. It writes a fresh key to
// secret.key.next (or takes the one an interrupted rotation left there),
// calls reseal with a Box that seals with the new key and opens with both,
// and only when reseal succeeds renames secret.key.next over secret.key (an
// atomic step). A crash at any point leaves every stored value openable: by
// the old key, or by the new one that Load picks up from secret.key.next.
func RotateFile(dir string, reseal func(*Box) error) (keyID string, err error) {
	old, err := readKey(filepath.Join(dir, KeyFile))
	if err != nil {
		return "", fmt.Errorf("read the current key: %w", err)
	}
	next, err := readKey(filepath.Join(dir, NextKeyFile))
	if errors.Is(err, fs.ErrNotExist) {
		next, err = createKey(dir, NextKeyFile, NewKey())
	}
	if err != nil {
		return "", err
	}
	box, err := NewBox(next, old)
	if err != nil {
		return "", err
	}
	if err := reseal(box); err != nil {
		return "", err
	}
	if err := os.Rename(filepath.Join(dir, NextKeyFile), filepath.Join(dir, KeyFile)); err != nil {
		return "", fmt.Errorf("install the new key: %w", err)
	}
	return box.KeyID(), nil
}
