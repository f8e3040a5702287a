// Package scrape holds what every trawl scraper shares: the Scraper interface
// and registry, the polite Fetcher (per-host rate and concurrency limits,
// robots.txt, retries) through which every scraper fetches, and the
// ProxyPool that rotates outbound proxies and rests the ones that fail.
package scrape
