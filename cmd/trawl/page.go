package main

import (
	"fmt"
	"net/url"
	"time"

	"github.com/trawlhq/trawl/egress"
	"github.com/trawlhq/trawl/httpapi"
	"github.com/trawlhq/trawl/scrape"
	"github.com/trawlhq/trawl/scrape/page"
	"github.com/trawlhq/trawl/screenshot"
)

// pageFlags configure the page engine: the language model behind
// aiExtractRules and the bound on /scrape/web calls.
type pageFlags struct {
	LLMURL         string        `name:"llm-url" env:"TRAWL_LLM_URL" help:"Base URL of an OpenAI-compatible API for aiExtractRules (e.g. http://127.0.0.1:11434/v1 for Ollama). Its host is let through the egress guard by name."`
	LLMModel       string        `name:"llm-model" env:"TRAWL_LLM_MODEL" help:"Model name for aiExtractRules."`
	LLMAPIKey      string        `name:"llm-api-key" env:"TRAWL_LLM_API_KEY" help:"Bearer key of the LLM API, if it needs one."`
	LLMTimeout     time.Duration `name:"llm-timeout" env:"TRAWL_LLM_TIMEOUT" default:"60s" help:"How long one aiExtractRules extraction may take."`
	WebConcurrency int           `name:"web-concurrency" env:"TRAWL_WEB_CONCURRENCY" default:"5" help:"/scrape/web calls one account may have in flight (more are 429 concurrency_limit)."`
}

// pageEngine builds the page engine every scraper and /scrape/web read pages
// with. The LLM client goes through the egress guard like every other
// outbound request; only the configured LLM host is let through by name.
func (f pageFlags) pageEngine(fetcher *scrape.Fetcher, proxies *scrape.ProxyPool, allowPrivate bool, r page.Renderer, shots *screenshot.Service) (*page.Engine, error) {
	cfg := page.EngineConfig{Fetcher: fetcher, Proxies: proxies, Renderer: r}
	if shots != nil {
		cfg.Screenshots = shots
	}
	if f.LLMURL != "" || f.LLMModel != "" {
		u, err := url.Parse(f.LLMURL)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return nil, fmt.Errorf("--llm-url (TRAWL_LLM_URL) must be an http or https URL, not %q", f.LLMURL)
		}
		client := egress.NewClient(egress.Options{AllowPrivateNetworks: allowPrivate, AllowHosts: []string{u.Hostname()}})
		llm, err := page.NewLLM(page.LLMConfig{URL: f.LLMURL, Model: f.LLMModel, APIKey: f.LLMAPIKey, Client: client, Timeout: f.LLMTimeout})
		if err != nil {
			return nil, err
		}
		cfg.LLM = llm
	}
	return page.NewEngine(cfg), nil
}

// usageStore returns the database's usage accounting, which both SQL
// backends have.
func usageStore(db database) httpapi.Usage {
	u, _ := db.(httpapi.Usage)
	return u
}
