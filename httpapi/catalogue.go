package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/trawlhq/trawl/scrape"
	"github.com/trawlhq/trawl/scrape/page"
)

// catalogueAPI is one synchronous endpoint in GET /apis, in HasData's shape,
// so that HasData's generators (its CLI, its plugin) can be pointed at trawl.
type catalogueAPI struct {
	ID          int              `json:"id"`
	Title       string           `json:"title"`
	Slug        string           `json:"slug"`
	Description string           `json:"description,omitempty"`
	Price       int              `json:"price"`
	Mode        *string          `json:"mode"`
	ModeMessage *string          `json:"mode_message,omitempty"`
	Category    *catalogueGroup  `json:"category,omitempty"`
	Schema      *catalogueSchema `json:"schema,omitempty"`
}

type catalogueGroup struct {
	ID    int    `json:"id"`
	Title string `json:"title"`
	Slug  string `json:"slug"`
	Order int    `json:"order"`
}

type catalogueSchema struct {
	Title       string         `json:"title"`
	Description string         `json:"description"`
	Method      string         `json:"method"`
	URL         string         `json:"url"`
	Cost        int            `json:"cost"`
	Required    []string       `json:"required"`
	Properties  map[string]any `json:"properties"`
}

// catalogueCategory is one group of GET /apis.
type catalogueCategory struct {
	ID    int              `json:"id"`
	Title string           `json:"title"`
	Slug  string           `json:"slug"`
	APIs  []catalogueEntry `json:"apis"`
}

type catalogueEntry struct {
	ID    int     `json:"id"`
	Slug  string  `json:"slug"`
	Title string  `json:"title"`
	Price int     `json:"price"`
	Mode  *string `json:"mode"`
}

var (
	webGroup     = catalogueGroup{ID: 1, Title: "Web Scraping", Slug: "web-scraping", Order: 1}
	scraperGroup = catalogueGroup{ID: 2, Title: "Scrapers", Slug: "scrapers", Order: 2}
)

// catalogueSlug names a synchronous endpoint in the catalogue:
// "/scrape/google-maps/search" → "google_maps_search".
func catalogueSlug(path string) string {
	return strings.NewReplacer("/", "_", "-", "_").Replace(strings.TrimPrefix(path, "/scrape/"))
}

// endpointProps is an endpoint's query parameters as schema properties,
// as the OpenAPI document describes them.
func endpointProps(ep scrape.Endpoint) (map[string]any, []string) {
	props := map[string]any{}
	required := []string{}
	for _, p := range ep.Params {
		prop := map[string]any{"type": p.Type}
		if p.Description != "" {
			prop["description"] = p.Description
		}
		if len(p.Enum) > 0 {
			prop["enum"] = p.Enum
		}
		if p.Pattern != "" {
			prop["pattern"] = p.Pattern
		}
		if p.Minimum != nil {
			prop["minimum"] = *p.Minimum
		}
		if p.Maximum != nil {
			prop["maximum"] = *p.Maximum
		}
		if p.MaxLen > 0 {
			prop["maxLength"] = p.MaxLen
		}
		props[p.Name] = prop
		if p.Required {
			required = append(required, p.Name)
		}
	}
	return props, required
}

// catalogue lists trawl's synchronous endpoints.
func (s *server) catalogue() []*catalogueAPI {
	if s.web == nil {
		return nil
	}
	props := page.OptionProps(webDefaults())
	props["url"] = map[string]any{"type": "string", "format": "uri", "description": "The page to read (http or https)."}
	desc := "Reads one page now: the raw page in one format, or a JSON object with its formats, extracted data, emails and links."
	out := []*catalogueAPI{{
		ID: 1, Title: "Web Scraping API", Slug: "web_scraping", Description: desc, Price: 1, Category: &webGroup,
		Schema: &catalogueSchema{Title: "Web Scraping API", Description: desc, Method: http.MethodPost,
			URL: s.publicURL + "/scrape/web", Cost: 1, Required: []string{"url"}, Properties: props},
	}}
	for i, ep := range s.endpoints {
		props, required := endpointProps(ep)
		out = append(out, &catalogueAPI{ID: 2 + i, Title: ep.Summary, Slug: catalogueSlug(ep.Path), Description: ep.Description,
			Price: 1, Category: &scraperGroup,
			Schema: &catalogueSchema{Title: ep.Summary, Description: ep.Description, Method: http.MethodGet,
				URL: s.publicURL + ep.Path, Cost: 1, Required: required, Properties: props}})
	}
	return out
}

// addCatalogueRoutes registers GET /apis and GET /apis/{slug}; both are
// public, as HasData's are.
func (s *server) addCatalogueRoutes(api huma.API) {
	huma.Register(api, s.public(api, huma.Operation{
		OperationID: "list-apis",
		Method:      http.MethodGet,
		Path:        "/apis",
		Summary:     "The synchronous APIs, by category",
		Description: "HasData's catalogue shape: [{id, title, slug, apis: [{id, slug, title, price, mode}]}]. Prices are in trawl's credits.",
		Tags:        []string{"Catalogue"},
	}), s.listAPIs)
	huma.Register(api, s.public(api, huma.Operation{
		OperationID: "get-api",
		Method:      http.MethodGet,
		Path:        "/apis/{slug}",
		Summary:     "One synchronous API with its parameter schema",
		Description: "schema.url is the endpoint under TRAWL_PUBLIC_URL; schema.properties are the parameters, the same as in this OpenAPI document.",
		Tags:        []string{"Catalogue"},
	}, http.StatusNotFound), s.getAPI)
}

type listAPIsOutput struct{ Body []catalogueCategory }

func (s *server) listAPIs(context.Context, *struct{}) (*listAPIsOutput, error) {
	out := &listAPIsOutput{Body: []catalogueCategory{}}
	for _, a := range s.catalogue() {
		entry := catalogueEntry{ID: a.ID, Slug: a.Slug, Title: a.Title, Price: a.Price, Mode: a.Mode}
		if n := len(out.Body); n > 0 && out.Body[n-1].ID == a.Category.ID {
			out.Body[n-1].APIs = append(out.Body[n-1].APIs, entry)
			continue
		}
		out.Body = append(out.Body, catalogueCategory{ID: a.Category.ID, Title: a.Category.Title, Slug: a.Category.Slug,
			APIs: []catalogueEntry{entry}})
	}
	return out, nil
}

type getAPIInput struct {
	Slug string `path:"slug"`
}

type getAPIOutput struct{ Body *catalogueAPI }

func (s *server) getAPI(_ context.Context, in *getAPIInput) (*getAPIOutput, error) {
	for _, a := range s.catalogue() {
		if a.Slug == in.Slug {
			return &getAPIOutput{Body: a}, nil
		}
	}
	return nil, &errorBody{status: http.StatusNotFound, Message: fmt.Sprintf("API %q not found.", in.Slug)}
}
