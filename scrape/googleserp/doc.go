// Package googleserp implements trawl's Google Search scraper: google-serp
// jobs (POST /scrapers/google-serp/jobs: every keyword, in every location,
// one row per organic result) and the synchronous GET /scrape/google/serp,
// both from one parser (ParsePage) over Google's results page.
//
// Searches are plain GETs of {base}/search?q=…&hl=…&gl=…&num=…&start=…
// through the shared [scrape.Fetcher]; a location is sent as Google's uule
// parameter ([UULE]). The page is HTML; what the parser relies on, and what
// to change when Google changes it, is in page.go. Package serptest serves
// pages in that shape for tests.
package googleserp
