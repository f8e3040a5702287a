package main

import (
	"fmt"

	"github.com/trawlhq/trawl/scrape"
	"github.com/trawlhq/trawl/scrape/googlemaps"
	"github.com/trawlhq/trawl/scrape/googleserp"
	"github.com/trawlhq/trawl/scrape/secedgar"
	"github.com/trawlhq/trawl/scrape/shopify"
	"github.com/trawlhq/trawl/scrape/yellowpages"
)

// scraperFlags configure the scrapers beyond crawler, contacts and
// google-maps: where each sends its requests (a local fake in tests).
type scraperFlags struct {
	GoogleSERPURL   string `name:"google-serp-url" env:"TRAWL_GOOGLE_SERP_URL" default:"https://www.google.com" help:"Base URL of Google Search (scheme and host; a local fake in tests)."`
	SECEdgarURL     string `name:"sec-edgar-url" env:"TRAWL_SEC_EDGAR_URL" default:"https://www.sec.gov" help:"Base URL of SEC EDGAR's ticker file and filings."`
	SECEdgarDataURL string `name:"sec-edgar-data-url" env:"TRAWL_SEC_EDGAR_DATA_URL" default:"https://data.sec.gov" help:"Base URL of SEC EDGAR's submissions JSON."`
	YellowPagesURL  string `name:"yellow-pages-url" env:"TRAWL_YELLOW_PAGES_URL" default:"https://www.yellowpages.com" help:"Base URL of Yellow Pages (scheme and host; a local fake in tests)."`
	SECEdgarContact string `name:"sec-edgar-contact" env:"TRAWL_SEC_EDGAR_CONTACT" help:"Contact e-mail sent in the User-Agent of requests to SEC EDGAR, which requires one; sec-edgar jobs fail without it."`
}

// build returns the extra scrapers, registered after the first three, and
// every synchronous endpoint (GET /scrape/…). f is the scrapers' fetcher;
// newFetcher makes another with the same client and proxies but its own
// User-Agent (EDGAR's).
func (c *scraperFlags) build(f *scrape.Fetcher, maps *googlemaps.Scraper, newFetcher func(userAgent string) *scrape.Fetcher) ([]scrape.Scraper, []scrape.Endpoint, error) {
	serp, err := googleserp.New(f, c.GoogleSERPURL)
	if err != nil {
		return nil, nil, fmt.Errorf("--google-serp-url (TRAWL_GOOGLE_SERP_URL): %w", err)
	}
	shop := shopify.New(f)
	edgarCfg := secedgar.Config{BaseURL: c.SECEdgarURL, DataURL: c.SECEdgarDataURL}
	if c.SECEdgarContact != "" {
		if !secedgar.ValidContact(c.SECEdgarContact) {
			return nil, nil, fmt.Errorf("--sec-edgar-contact (TRAWL_SEC_EDGAR_CONTACT): %q is not an e-mail address", c.SECEdgarContact)
		}
		edgarCfg.Fetcher = newFetcher(secedgar.UserAgent(version, c.SECEdgarContact))
	}
	edgar, err := secedgar.New(edgarCfg)
	if err != nil {
		return nil, nil, fmt.Errorf("--sec-edgar-url or --sec-edgar-data-url: %w", err)
	}
	yp, err := yellowpages.New(f, c.YellowPagesURL)
	if err != nil {
		return nil, nil, fmt.Errorf("--yellow-pages-url (TRAWL_YELLOW_PAGES_URL): %w", err)
	}
	scrapers := []scrape.Scraper{googlemaps.NewReviews(maps), serp, shop, edgar, yp}
	var endpoints []scrape.Endpoint
	for _, e := range [][]scrape.Endpoint{maps.Endpoints(), serp.Endpoints(), shop.Endpoints(), yp.Endpoints()} {
		endpoints = append(endpoints, e...)
	}
	return scrapers, endpoints, nil
}
