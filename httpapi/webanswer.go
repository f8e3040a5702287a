package httpapi

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/trawlhq/trawl/scrape/page"
)

// webError is an error answer in the shape HasData's clients read:
// requestMetadata.status "error", a message and a code.
func webError(status int, code, msg, id string) (*webOutput, error) {
	meta := map[string]any{"status": "error"}
	if id != "" {
		meta["id"] = id
	}
	b, _ := json.Marshal(map[string]any{"message": msg, "code": code, "requestMetadata": meta})
	return &webOutput{Status: status, ContentType: "application/json", Body: b}, nil
}

// webResponse applies HasData's response rules: exactly one non-JSON format
// is the raw page; anything else is the JSON object.
func webResponse(id, target string, res *page.Result, o *page.Options) (*webOutput, error) {
	if len(o.OutputFormat) == 1 && o.OutputFormat[0] != page.FormatJSON {
		var s *string
		ct := "text/plain; charset=utf-8"
		switch o.OutputFormat[0] {
		case page.FormatHTML:
			s, ct = res.HTML, "text/html; charset=utf-8"
		case page.FormatText:
			s = res.Text
		case page.FormatMarkdown:
			s, ct = res.Markdown, "text/markdown; charset=utf-8"
		}
		if o.OutputFormat[0] == page.FormatHTML && !res.IsHTML && res.ContentType != "" {
			ct = res.ContentType // a sitemap's XML stays XML
		}
		body := ""
		if s != nil {
			body = *s
		}
		return &webOutput{Status: http.StatusOK, ContentType: ct, Body: []byte(body)}, nil
	}
	b, err := json.Marshal(webJSON(id, target, res, o))
	if err != nil {
		return nil, fmt.Errorf("encode /scrape/web answer: %w", err)
	}
	return &webOutput{Status: http.StatusOK, ContentType: "application/json", Body: b}, nil
}

// webJSON is the JSON answer. Keys in order of HasData's: requestMetadata,
// statusCode, statusText, headers, the formats, then the extraction keys.
func webJSON(id, target string, res *page.Result, o *page.Options) *orderedJSON {
	meta := &orderedJSON{}
	meta.set("id", id)
	meta.set("status", "ok")
	meta.set("url", target)
	if res.URL != "" && res.URL != target {
		meta.set("finalUrl", res.URL)
	}
	meta.set("rendered", res.Rendered)
	if res.RenderNote != "" {
		meta.set("renderNote", res.RenderNote)
	}
	meta.set("proxy", res.Proxy)
	if res.Truncated {
		meta.set("truncated", true)
	}
	out := &orderedJSON{}
	out.set("requestMetadata", meta)
	out.set("statusCode", res.StatusCode)
	out.set("statusText", res.StatusText)
	headers := make(map[string]string, len(res.Header))
	for k := range res.Header {
		headers[strings.ToLower(k)] = res.Header.Get(k)
	}
	out.set("headers", headers)
	if res.HTML != nil && (o.Wants(page.FormatHTML) || len(o.OutputFormat) == 0) {
		out.set("content", *res.HTML)
	}
	if res.Text != nil {
		out.set("text", *res.Text)
	}
	if res.Markdown != nil {
		out.set("markdown", *res.Markdown)
	}
	if len(o.ExtractRules) > 0 {
		out.set("extractedData", res.ExtractedData)
	}
	if len(o.AIExtractRules) > 0 {
		out.set("aiResponse", res.AIResponse)
		if res.AIError != "" {
			out.set("aiError", res.AIError)
		}
	}
	if o.ExtractEmails {
		out.set("emails", nonNilStrings(res.Emails))
	}
	if o.ExtractLinks {
		out.set("links", nonNilStrings(res.Links))
	}
	if o.Screenshot {
		// The signed link of the stored image, like HasData's link; without
		// a screenshot store, the image inline as a data: URL. null says
		// none was taken (no browser).
		var shot any
		switch {
		case res.ScreenshotURL != "":
			shot = res.ScreenshotURL
		case len(res.Screenshot) > 0:
			shot = "data:image/jpeg;base64," + base64.StdEncoding.EncodeToString(res.Screenshot)
		}
		out.set("screenshot", shot)
	}
	return out
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// orderedJSON is a JSON object that keeps its keys in insertion order.
type orderedJSON struct {
	keys []string
	vals map[string]any
}

func (o *orderedJSON) set(k string, v any) {
	if o.vals == nil {
		o.vals = map[string]any{}
	}
	if _, ok := o.vals[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.vals[k] = v
}

func (o *orderedJSON) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		vb, err := json.Marshal(o.vals[k])
		if err != nil {
			return nil, err
		}
		b.Write(kb)
		b.WriteByte(':')
		b.Write(vb)
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

// newRequestUUID returns a random (version 4) UUID for requestMetadata.id.
func newRequestUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
