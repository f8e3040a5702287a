// Command adlist refreshes trawl's embedded ad blocklist (browser/adhosts.txt)
// from one or more published lists in hosts-file format ("0.0.0.0 host"),
// plain one-host-a-line format, or Adblock "||host^" rules:
//
//	go run ./browser/adlist -o browser/adhosts.txt https://example.org/hosts.txt [more URLs or files]
//
// It merges the hosts, drops those already covered by a listed parent
// domain, sorts them and writes the file with a header naming the sources.
// Rebuild trawl afterwards: the list is embedded at compile time.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"time"

	"github.com/trawlhq/trawl/browser"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "adlist:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("adlist", flag.ContinueOnError)
	out := fs.String("o", "", "file to write (default: standard output)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("name at least one list URL or file")
	}
	client := &http.Client{Timeout: time.Minute}
	hosts := map[string]struct{}{}
	for _, src := range fs.Args() {
		text, err := read(ctx, client, src)
		if err != nil {
			return err
		}
		for h := range browser.ParseHostList(text) {
			hosts[h] = struct{}{}
		}
	}
	list := make([]string, 0, len(hosts))
	for h := range hosts {
		if !coveredByParent(hosts, h) {
			list = append(list, h)
		}
	}
	slices.Sort(list)

	var b strings.Builder
	b.WriteString("# trawl's ad and tracker blocklist, embedded in the binary for blockAds.\n")
	b.WriteString("# One host a line; a host also blocks its subdomains. Refresh with\n")
	b.WriteString("#   go run ./browser/adlist -o browser/adhosts.txt <URL of a hosts-format list>\n")
	fmt.Fprintf(&b, "# Generated %s from: %s\n", time.Now().UTC().Format(time.DateOnly), strings.Join(fs.Args(), " "))
	for _, h := range list {
		b.WriteString(h)
		b.WriteByte('\n')
	}
	if *out == "" {
		_, err := io.WriteString(stdout, b.String())
		return err
	}
	return os.WriteFile(*out, []byte(b.String()), 0o644)
}

// read returns the text of a URL or a local file.
func read(ctx context.Context, client *http.Client, src string) (string, error) {
	if !strings.HasPrefix(src, "http://") && !strings.HasPrefix(src, "https://") {
		b, err := os.ReadFile(src)
		return string(b), err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
	if err != nil {
		return "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s: %s", src, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	return string(b), err
}

// coveredByParent reports whether a parent domain of h is also listed.
func coveredByParent(hosts map[string]struct{}, h string) bool {
	for i := strings.IndexByte(h, '.'); i >= 0; i = strings.IndexByte(h, '.') {
		h = h[i+1:]
		if _, ok := hosts[h]; ok {
			return true
		}
	}
	return false
}
