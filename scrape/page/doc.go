// Package page is what trawl's scrapers share about web pages: one owner for
// reading a page, used by the crawler's jobs, the contacts and Google Maps
// scrapers, and the synchronous POST /scrape/web, so that sibling scrapers
// never import each other.
//
// It holds, from the bottom up:
//
//   - URLs: [NormalizeURL] and [SameHost] give every URL one canonical form,
//     [URLList] reads a create body's "urls".
//   - Decoding and parsing: [DecodeHTML] picks the charset, [IsHTML] decides
//     whether a response is a page, [ParsePage] returns its title, visible
//     text, Markdown, HTML and links.
//   - Contacts: [ExtractPage] reads one page's emails, phone numbers and
//     social profiles; [Extract] reads a whole site's (a contacts row).
//     Emails come from mailto: links, the visible text, attributes, scripts,
//     JSON-LD and microdata, Cloudflare-protected addresses and "name [at]
//     domain [dot] com" spellings; file names, version strings, tracking and
//     placeholder domains and hash-like local parts are dropped. Phone
//     numbers come from tel: links, structured data and the visible text
//     (written internationally or right after a phone word, never dates,
//     prices, addresses or fax numbers) and are normalised to E.164 with
//     libphonenumber; invalid ones are dropped.
//   - Page options ([Options]): output formats, extractRules, excludeTags and
//     includeOnlyTags, removeBase64Images, extractEmails, extractLinks,
//     headers, aiExtractRules and the rendering options, decoded and
//     validated once ([ParseOptions]) with errors naming the field.
//   - The engine ([Engine]): fetch through the polite scrape.Fetcher (and so
//     the egress guard) or a [Renderer] when one is plugged in, then apply
//     the options and build the [Result].
//
// Everything here is safe for concurrent use.
package page
