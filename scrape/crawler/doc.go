// Package crawler implements trawl's website crawler scraper: starting from
// a URL it fetches HTML pages of one site, keeps each page's title, text,
// Markdown and HTML as a row, and follows the page's links to further pages.
//
// This package holds the pure, network-free part: [ParsePage] turns the bytes
// of one fetched response into a [Page] (charset decoding, text and Markdown
// extraction, link discovery), [IsHTML] decides whether a response is worth
// parsing at all, and [NormalizeURL] and [SameHost] give the crawl one
// canonical form for every URL so the same page is never queued twice and
// the crawl stays on its site. All of them are safe for concurrent use.
package crawler
