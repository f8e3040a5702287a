package secret

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func mustBox(t *testing.T, current string, older ...string) *Box {
	t.Helper()
	b, err := NewBox(current, older...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSealOpen(t *testing.T) {
	t.Parallel()
	k1, k2 := NewKey(), NewKey()
	b1 := mustBox(t, k1)
	sealed := b1.Seal("whsec_very secret")
	if !Sealed(sealed) || strings.Contains(sealed, "very secret") {
		t.Fatalf("sealed value %q shows the secret or is not marked", sealed)
	}
	if again := b1.Seal("whsec_very secret"); again == sealed {
		t.Error("two seals of one value are equal: the nonce is not fresh")
	}
	if got, err := b1.Open(sealed); err != nil || got != "whsec_very secret" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if got, err := b1.Open("stored in the clear"); err != nil || got != "stored in the clear" {
		t.Errorf("Open of a plain value = %q, %v; want it unchanged", got, err)
	}
	if b1.Seal("") != "" {
		t.Error("Seal(\"\") is not empty")
	}

	// A box with another key refuses, naming the problem.
	if _, err := mustBox(t, k2).Open(sealed); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("Open with another key: %v, want ErrUnknownKey", err)
	}
	// A tampered value does not open.
	tampered := sealed[:len(sealed)-2] + "AA"
	if _, err := b1.Open(tampered); err == nil {
		t.Error("a tampered value opened")
	}

	// Rotation: the new box opens the old value and reseals it.
	b2 := mustBox(t, k2, k1)
	if b2.Current(sealed) {
		t.Error("old value counts as current under the new key")
	}
	resealed, err := b2.Reseal(sealed)
	if err != nil || !b2.Current(resealed) {
		t.Fatalf("Reseal = %q, %v", resealed, err)
	}
	if got, err := mustBox(t, k2).Open(resealed); err != nil || got != "whsec_very secret" {
		t.Errorf("new key alone opens %q, %v", got, err)
	}
	if _, err := NewBox("short"); err == nil {
		t.Error("a short key was accepted")
	}
}

func TestLoadCreatesKeyFile(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	b, created, err := Load(dir, "")
	if err != nil || !created {
		t.Fatalf("Load = %v, created %v", err, created)
	}
	fi, err := os.Stat(filepath.Join(dir, KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	again, created, err := Load(dir, "")
	if err != nil || created || again.KeyID() != b.KeyID() {
		t.Fatalf("second Load: %v, created %v, key %s want %s", err, created, again.KeyID(), b.KeyID())
	}
	env, _, err := Load(dir, strings.Repeat("k", 10))
	if err == nil || !strings.Contains(err.Error(), "TRAWL_SECRET_KEY") {
		t.Errorf("short TRAWL_SECRET_KEY: %v, %v", env, err)
	}
}

func TestRotateFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	old, _, err := Load(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	stored := []string{old.Seal("one"), old.Seal("two")}

	// A rotation that fails half way keeps the old key file, and the key it
	// had begun with is still loaded, so values resealed with it open.
	_, err = RotateFile(dir, func(b *Box) error {
		stored[0], _ = b.Reseal(stored[0])
		return errors.New("crash")
	})
	if err == nil {
		t.Fatal("RotateFile ignored reseal's error")
	}
	mid, _, err := Load(dir, "")
	if err != nil || mid.KeyID() != old.KeyID() {
		t.Fatalf("after a failed rotation: %v, key %s want %s", err, mid.KeyID(), old.KeyID())
	}
	for _, v := range stored {
		if _, err := mid.Open(v); err != nil {
			t.Fatalf("after a failed rotation %q does not open: %v", v, err)
		}
	}

	id, err := RotateFile(dir, func(b *Box) error {
		for i := range stored {
			if stored[i], err = b.Reseal(stored[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil || id == old.KeyID() {
		t.Fatalf("RotateFile = %s, %v", id, err)
	}
	if _, err := os.Stat(filepath.Join(dir, NextKeyFile)); !os.IsNotExist(err) {
		t.Errorf("%s left behind: %v", NextKeyFile, err)
	}
	now, _, err := Load(dir, "")
	if err != nil || now.KeyID() != id {
		t.Fatalf("after rotation key %s, %v; want %s", now.KeyID(), err, id)
	}
	for i, want := range []string{"one", "two"} {
		if got, err := now.Open(stored[i]); err != nil || got != want {
			t.Errorf("value %d = %q, %v", i, got, err)
		}
		if _, err := old.Open(stored[i]); err == nil {
			t.Errorf("value %d still opens with the old key", i)
		}
	}
}
