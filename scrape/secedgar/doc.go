// Package secedgar implements trawl's SEC EDGAR scraper (POST
// /scrapers/sec-edgar/jobs): the filings of each company, one row per
// filing, read from EDGAR's public JSON. A company is given as a CIK, a
// ticker or a name, resolved through EDGAR's ticker file
// ({www}/files/company_tickers.json); its filings come from its
// submissions JSON ({data}/submissions/CIK##########.json, whose
// filings.recent holds the latest and filings.files names older shards).
//
// EDGAR asks every client for a User-Agent naming a contact e-mail and at
// most 10 requests a second; requests without one are refused with 403.
// The scraper fetches through a Fetcher of its own whose User-Agent carries
// the operator's contact (TRAWL_SEC_EDGAR_CONTACT) and paces every request
// to EDGAR's hosts, together, under 10 a second. A job started without a
// contact fails at once with a message saying so. Package edgartest serves
// EDGAR's files for tests.
package secedgar
