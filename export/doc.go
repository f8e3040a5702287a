// Package export writes a job's rows as the downloads a finished job links
// to (JSON, CSV and XLSX) and signs those links.
//
// # Streaming
//
// The writers read rows through a Rows iterator and hold one row at a time,
// so memory stays flat however many rows a job has. CSV and XLSX need every
// column before the header: they walk the rows twice, keeping only column
// names from the first walk. WriteXLSX writes the workbook's XML itself and
// compresses it straight into the zip archive it writes to the output, a
// row at a time: no sheet is held in memory or in a temporary file.
//
// # The table
//
// CSV and XLSX share one table. Each row object is flattened: a nested
// object becomes dotted columns (gpsCoordinates.latitude), an array of
// scalars is one cell with its items joined by "; ", an array holding
// objects or arrays is one cell of compact JSON text, null and empty arrays
// are empty cells, and an empty object has no column. Columns come in a
// stable order: the scraper's declared columns first (each with the columns
// nested under it), then the others in order of first appearance. A row
// that is not an object is one column named "value". Flattening cannot tell
// a key "a.b" from the key b of an object under a; both land in column
// "a.b", the later value winning.
//
// # Formula injection
//
// A spreadsheet treats a cell that starts with =, +, - or @ (and, in some
// programs, a tab or carriage return) as a formula, so a scraped page could
// plant one ("=HYPERLINK(...)") in a user's sheet. Every text cell, header
// names included, that starts with one of those characters is written with
// a leading apostrophe ('), as OWASP recommends: spreadsheets show it as
// text, and a program reading the file sees the apostrophe and can strip
// it. Numbers and booleans are never changed, so -73.98 stays a number. The
// JSON export is written as stored, untouched.
//
// # Links
//
// A Signer makes links of the form <base>/exports/<token>.<ext>. The token
// names the job and format and carries an expiry, all under an HMAC-SHA256
// of a server secret; it is its own authorisation, so the link works
// without an API key until it expires.
package export
