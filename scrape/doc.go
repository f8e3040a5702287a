// Package scrape holds what every trawl scraper shares: the Scraper interface
// and registry, and the polite Fetcher (per-host rate and concurrency limits,
// robots.txt, retries) through which every scraper fetches.
package scrape
