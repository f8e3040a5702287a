// Command trawl runs the trawl Scraper Jobs API: `trawl serve` starts the HTTP
// API and the workers on an embedded SQLite database; `trawl migrate` and
// `trawl keys` manage the database and API keys.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "trawl:", err)
		os.Exit(1)
	}
}
