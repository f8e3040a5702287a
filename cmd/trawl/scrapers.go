package main

import (
	"github.com/trawlhq/trawl/scrape"
	"github.com/trawlhq/trawl/scrape/googlemaps"
)

// scraperFlags configure the scrapers beyond crawler, contacts and
// google-maps: where each sends its requests (a local fake in tests).
type scraperFlags struct{}

// build returns the extra scrapers, registered after the first three, and
// every synchronous endpoint (GET /scrape/…).
func (c *scraperFlags) build(f *scrape.Fetcher, maps *googlemaps.Scraper) ([]scrape.Scraper, []scrape.Endpoint, error) {
	scrapers := []scrape.Scraper{googlemaps.NewReviews(maps)}
	endpoints := maps.Endpoints()
	return scrapers, endpoints, nil
}
