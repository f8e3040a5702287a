// Package contacts implements trawl's contacts scraper: one task and one row
// per website, listing the emails, phone numbers and social profiles the site
// publishes. The reading itself ([page.Extract], which the Google Maps
// scraper's extractEmails shares) is the page package's; this package holds
// the job's parameters and its tasks.
package contacts
