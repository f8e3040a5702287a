package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/trawlhq/trawl/client"
)

// clientFlags choose the server a client command talks to. Flags win over
// their environment twins, which win over the file `trawl login` writes;
// with none of them the client talks to client.DefaultURL.
type clientFlags struct {
	URL    string `name:"url" env:"TRAWL_URL" help:"The trawl server (default: the one saved by 'trawl login', else ${defaultURL})." placeholder:"URL"`
	Key    string `name:"key" env:"TRAWL_KEY" help:"API key (default: the one saved by 'trawl login')." placeholder:"KEY"`
	Config string `name:"config" env:"TRAWL_CONFIG" help:"The client configuration file (default: trawl/config.json in the user's configuration folder)." type:"path" placeholder:"FILE"`
	CACert string `name:"ca-cert" env:"TRAWL_CA_CERT" help:"PEM file of the certificate authority to trust for an HTTPS server with a private certificate." type:"path" placeholder:"FILE"`
}

// clientConfig is what `trawl login` saves.
type clientConfig struct {
	URL    string `json:"url"`
	Key    string `json:"key"`
	CACert string `json:"caCert,omitempty"`
}

// configPath is the client configuration file: --config, or
// <user config dir>/trawl/config.json.
func (f *clientFlags) configPath() (string, error) {
	if f.Config != "" {
		return f.Config, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find the configuration folder (use --config): %w", err)
	}
	return filepath.Join(dir, "trawl", "config.json"), nil
}

// load reads the saved configuration; a missing file is an empty one.
func (f *clientFlags) load() (clientConfig, error) {
	var c clientConfig
	path, err := f.configPath()
	if err != nil {
		return c, nil // no folder to look in: nothing saved
	}
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("read %s: %w", path, err)
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return c, fmt.Errorf("read %s: %w", path, err)
	}
	return c, nil
}

// save writes c, readable by its owner only.
func (f *clientFlags) save(c clientConfig) (string, error) {
	path, err := f.configPath()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", err
	}
	raw, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".config-*.json")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return "", err
	}
	if _, err := tmp.Write(append(raw, '\n')); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	return path, os.Rename(tmp.Name(), path)
}

// resolved merges the flags with the saved configuration.
func (f *clientFlags) resolved() (clientConfig, error) {
	saved, err := f.load()
	if err != nil {
		return saved, err
	}
	c := clientConfig{URL: f.URL, Key: f.Key, CACert: f.CACert}
	if c.URL == "" {
		c.URL = saved.URL
		if c.Key == "" {
			c.Key = saved.Key
		}
	} else if c.Key == "" && sameServer(c.URL, saved.URL) {
		c.Key = saved.Key // the saved key belongs to the saved server only
	}
	if c.CACert == "" && sameServer(c.URL, saved.URL) {
		c.CACert = saved.CACert
	}
	if c.URL == "" {
		c.URL = client.DefaultURL
	}
	return c, nil
}

func sameServer(a, b string) bool {
	trim := func(s string) string {
		for len(s) > 0 && s[len(s)-1] == '/' {
			s = s[:len(s)-1]
		}
		return s
	}
	return a == "" || trim(a) == trim(b)
}

// client builds the API client the flags describe.
func (f *clientFlags) client() (*client.Client, error) {
	c, err := f.resolved()
	if err != nil {
		return nil, err
	}
	return newClient(c)
}

func newClient(c clientConfig) (*client.Client, error) {
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	if c.CACert != "" {
		pem, err := os.ReadFile(c.CACert)
		if err != nil {
			return nil, fmt.Errorf("ca certificate: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca certificate %s: no PEM certificate in it", c.CACert)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return client.New(client.Config{BaseURL: c.URL, Key: c.Key, HTTP: &http.Client{Transport: tr}, UserAgent: "trawl/" + version})
}

// isTerminal reports whether w is a terminal (a character device), where
// output is for people: tables, progress lines, questions.
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// readLine reads one line from r, without its line ending.
func readLine(r io.Reader) (string, error) {
	var b []byte
	one := make([]byte, 1)
	for {
		n, err := r.Read(one)
		if n == 1 {
			if one[0] == '\n' {
				break
			}
			b = append(b, one[0])
		}
		if err != nil {
			if len(b) > 0 && err == io.EOF {
				break
			}
			return "", err
		}
	}
	for len(b) > 0 && b[len(b)-1] == '\r' {
		b = b[:len(b)-1]
	}
	return string(b), nil
}
