package shopify

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// PageSize is the most items Shopify gives per page, and what jobs ask for.
const PageSize = 250

// maxBodyBytes bounds a JSON page (250 products with their variants and
// images can reach a few megabytes).
const maxBodyBytes = 32 << 20

// ErrNotShopify is an answer that is not a Shopify store's JSON.
var ErrNotShopify = errors.New("not a Shopify store")

var handleRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,254}$`)

// ValidHandle reports whether s is a collection handle ("summer-sale").
func ValidHandle(s string) bool { return handleRE.MatchString(s) }

// StorePattern is what a storefront may be: a host name, with or without
// an http(s) scheme, a port and a plain path.
const StorePattern = `^\s*([Hh][Tt][Tt][Pp][Ss]?://)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*(:[0-9]{1,5})?(/[A-Za-z0-9._~!$&'()*+,;=:@/-]*)?\s*$`

var storeRE = regexp.MustCompile(StorePattern)

// Store reads a storefront URL ("shop.example", "https://shop.example/
// collections/tees") into the store's root ("https://shop.example") and
// the collection the URL names, if any.
func Store(raw string) (root, collection string, err error) {
	raw = strings.TrimSpace(raw)
	if !storeRE.MatchString(raw) {
		return "", "", fmt.Errorf("%q is not a storefront URL such as https://shop.example", raw)
	}
	if raw != "" && !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return "", "", fmt.Errorf("%q is not a storefront URL such as https://shop.example", raw)
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) >= 2 && parts[0] == "collections" && ValidHandle(parts[1]) {
		collection = parts[1]
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host), collection, nil
}

// ProductsURL is one page (from 1) of a store's products, or of one
// collection's when collection is not "".
func ProductsURL(root, collection string, limit, page int) string {
	path := "/products.json"
	if collection != "" {
		path = "/collections/" + url.PathEscape(collection) + "/products.json"
	}
	return root + path + "?" + url.Values{"limit": {strconv.Itoa(limit)}, "page": {strconv.Itoa(page)}}.Encode()
}

// CollectionsURL is one page (from 1) of a store's collections.
func CollectionsURL(root string, limit, page int) string {
	return root + "/collections.json?" + url.Values{"limit": {strconv.Itoa(limit)}, "page": {strconv.Itoa(page)}}.Encode()
}

// Item is one product or collection as Shopify sent it, and its id.
type Item struct {
	ID  int64
	Raw json.RawMessage // the JSON object, untouched
}

// ParseProducts reads a products.json answer: {"products": [{…}, …]}. An
// answer of another shape (HTML, a JSON object without "products") is
// ErrNotShopify; an object that is not valid JSON (cut short) is another
// error; an item without a numeric id is skipped. It is safe for
// concurrent use.
func ParseProducts(r io.Reader) ([]Item, error) { return parse(r, "products") }

// ParseCollections reads a collections.json answer: {"collections": […]}.
func ParseCollections(r io.Reader) ([]Item, error) { return parse(r, "collections") }

func parse(r io.Reader, key string) ([]Item, error) {
	body, err := io.ReadAll(io.LimitReader(r, maxBodyBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	if len(body) > maxBodyBytes {
		return nil, fmt.Errorf("%s page larger than %d bytes", key, maxBodyBytes)
	}
	body = bytes.TrimSpace(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")))
	var doc map[string]json.RawMessage
	if len(body) == 0 || body[0] != '{' {
		return nil, fmt.Errorf("%w: the answer is not JSON", ErrNotShopify)
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		// A JSON object cut short or mangled: a bad answer, worth another try.
		return nil, fmt.Errorf("%s page is not valid JSON: %w", key, err)
	}
	list, ok := doc[key]
	var raws []json.RawMessage
	if !ok || json.Unmarshal(list, &raws) != nil {
		return nil, fmt.Errorf("%w: the JSON has no %q list", ErrNotShopify, key)
	}
	items := make([]Item, 0, len(raws))
	for _, raw := range raws {
		var head struct {
			ID json.Number `json:"id"`
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if raw = bytes.TrimSpace(raw); len(raw) < 2 || raw[0] != '{' || dec.Decode(&head) != nil {
			continue
		}
		id, err := head.ID.Int64()
		if err != nil || id <= 0 {
			continue
		}
		items = append(items, Item{ID: id, Raw: raw})
	}
	return items, nil
}

// withField returns obj (a JSON object) with "name": value first.
func withField(obj json.RawMessage, name string, value any) (json.RawMessage, error) {
	v, err := json.Marshal(value)
	if err != nil {
		return nil, err
	}
	k, _ := json.Marshal(name)
	var b bytes.Buffer
	b.WriteByte('{')
	b.Write(k)
	b.WriteByte(':')
	b.Write(v)
	if inner := bytes.TrimSpace(obj[1 : len(obj)-1]); len(inner) > 0 {
		b.WriteByte(',')
		b.Write(inner)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
