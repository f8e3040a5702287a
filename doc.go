// Package trawl holds the domain of trawl, a self-hosted Scraper Jobs API with
// reliable webhooks: jobs and their statuses, result rows, webhook settings,
// accounts and API keys, and the one error type that every layer returns.
//
// The package imports only the standard library. Each technology (SQLite,
// PostgreSQL, HTTP, River) lives in an adapter package of its own, and only
// cmd/trawl wires them together.
package trawl
