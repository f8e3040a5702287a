package main

import (
	"fmt"

	"github.com/trawlhq/trawl/scrape"
	"github.com/trawlhq/trawl/scrape/googlemaps"
	"github.com/trawlhq/trawl/scrape/googleserp"
	"github.com/trawlhq/trawl/scrape/shopify"
)

// scraperFlags configure the scrapers beyond crawler, contacts and
// google-maps: where each sends its requests (a local fake in tests).
type scraperFlags struct {
	GoogleSERPURL string `name:"google-serp-url" env:"TRAWL_GOOGLE_SERP_URL" default:"https://www.google.com" help:"Base URL of Google Search (scheme and host; a local fake in tests)."`
}

// build returns the extra scrapers, registered after the first three, and
// every synchronous endpoint (GET /scrape/…).
func (c *scraperFlags) build(f *scrape.Fetcher, maps *googlemaps.Scraper) ([]scrape.Scraper, []scrape.Endpoint, error) {
	serp, err := googleserp.New(f, c.GoogleSERPURL)
	if err != nil {
		return nil, nil, fmt.Errorf("--google-serp-url (TRAWL_GOOGLE_SERP_URL): %w", err)
	}
	shop := shopify.New(f)
	scrapers := []scrape.Scraper{googlemaps.NewReviews(maps), serp, shop}
	var endpoints []scrape.Endpoint
	for _, e := range [][]scrape.Endpoint{maps.Endpoints(), serp.Endpoints(), shop.Endpoints()} {
		endpoints = append(endpoints, e...)
	}
	return scrapers, endpoints, nil
}
