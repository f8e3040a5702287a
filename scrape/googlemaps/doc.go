// Package googlemaps implements trawl's Google Maps scraper
// (POST /scrapers/google-maps/jobs): every keyword (and category) is searched
// in every location, and each place found is one row, stored once per job
// however many searches found it. With extractEmails each place's website is
// read by the contacts extractor ([page.Extract]) before its row is
// stored, so a row arrives complete.
//
// Searches use the endpoint the Maps web app uses, over plain HTTP through
// the shared [scrape.Fetcher] (its rate limits, retries and proxies):
// GET {base}/search?tbm=map&authuser=0&hl={language}&q={keyword location}&pb=…,
// where pb carries the viewport and the page (20 results from an offset); see
// [SearchURL]. The answer is a ")]}'" line and JSON whose data[0][1] lists
// the results, each result's place array at index 14 ([ParseSearch]).
//
// With a grid (grid.go, gridsearch.go), each location's area is split into
// cells and every term is searched in each cell's viewport, so that a city
// yields more than the ~120 places one search lists; places are still
// stored once.
//
// The same package serves the reviews scraper (POST
// /scrapers/google-maps-reviews/jobs, reviewsjob.go) and the synchronous
// GET /scrape/google-maps/search, place and reviews (sync.go): a place
// page, {base}/maps/place/?q=place_id:… ([ParsePlacePage]: the place array
// inside APP_INITIALIZATION_STATE, read by the same parsePlace), and a page
// of reviews, {base}/maps/rpc/listugcposts?pb=… ([ParseReviews]).
//
// # When Google changes the format
//
// The place array's indexes are undocumented and move from time to time. All
// of them are in place.go (the idx* variables and parsePlace); the response
// envelope is in search.go (ParseSearch, unwrap). A missing or moved index
// leaves that field out of the rows, it never loses a row; a response that
// cannot be read at all fails its search task with an error naming the
// query and its URL. To follow a change: save real responses under
// testdata/search/<name>/<offset>.txt (TestCapture does it:
// `go test ./scrape/googlemaps -run TestCapture -capture 'coffee shops|New York, NY' -capture-name coffee-new-york`),
// fix the indexes, run `go test ./scrape/googlemaps -run Golden -update`,
// and read the diff of testdata/golden/ before committing it. Package
// mapstest writes responses in the documented format for tests elsewhere.
package googlemaps
