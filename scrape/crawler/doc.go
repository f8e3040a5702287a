// Package crawler implements trawl's website crawler scraper: starting from
// a URL it fetches HTML pages of one site, keeps each page's title and the
// output formats the job asked for as a row, and follows the page's links to
// further pages on the same host.
//
// What it reads from a page (charset, text, Markdown, links, page options)
// is the page package's; this package holds the crawl: its parameters, the
// path patterns, and one task per URL.
package crawler
