// Package contacts implements trawl's contacts scraper and the contact
// extractor other scrapers share (the Google Maps scraper's extractEmails
// calls [Extract]).
//
// [Extract] reads a website: the given page, then up to five (by default)
// pages of the same site chosen by how likely they hold contacts, judged by
// their link text and path in several languages (contact, impressum,
// imprint, about, team, legal…; contact pages first). [ExtractPage] is the
// pure, network-free part: one HTML page in, its emails, phone numbers,
// social profiles and promising links out.
//
// Emails come from mailto: links, the visible text, attributes, scripts,
// JSON-LD and microdata, Cloudflare-protected addresses and "name [at]
// domain [dot] com" spellings. What looks like an address but is not is
// dropped: file names (logo@2x.png: the "top-level domain" must be a real
// one and not a file extension), version strings (package@1.2.3), tracking
// and placeholder domains (sentry.io, *.wixpress.com, example.com,
// domain.com…), local parts longer than 64 characters or made of 16 or more
// hex digits (hashes and ids). Addresses are lower-cased and de-duplicated;
// those on the site's own domain come first.
//
// Phone numbers come from tel: and callto: links, JSON-LD and microdata, and
// are normalised to E.164 by [NormalizePhone] with libphonenumber; numbers
// that are not valid are dropped. Social profiles ([ProfileURL]) are kept
// only when a link points at a profile (LinkedIn, X, Facebook, Instagram,
// YouTube, TikTok, Pinterest, GitHub), never at a share or intent link.
//
// Everything here is safe for concurrent use.
package contacts
