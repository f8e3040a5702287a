// Package screenshot keeps the screenshots of rendered pages and serves each
// by a signed, expiring link, as job exports are served: the link needs no
// API key, cannot be guessed or altered, and stops working after its TTL.
//
// A Service stores images in the database (the SQL store implements Store),
// gives each a link <base>/screenshots/<token>.png (or .jpeg), and serves
// those links with Handler. Images older than the TTL are pruned, since no
// link to them can still be valid. /scrape/web returns the link in its
// screenshot key, and crawler rows carry it.
package screenshot
