// Package shopify implements trawl's Shopify scraper: shopify jobs
// (POST /scrapers/shopify/jobs: every product of each storefront, one row
// per product in Shopify's own shape plus storeUrl) and the synchronous
// GET /scrape/shopify/products and /scrape/shopify/collections, all read
// from a store's public JSON: {store}/products.json?limit=250&page=N (or
// /collections/{handle}/products.json) and /collections.json. A site whose
// answer is not that JSON is not a Shopify store: a row (or an answer)
// with an error. Package shopifytest serves a store for tests.
package shopify
