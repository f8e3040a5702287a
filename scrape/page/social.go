package page

import (
	"net/url"
	"regexp"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// Network names a social network whose profile links are collected.
type Network string

// The networks, named as the row's fields are.
const (
	LinkedIn  Network = "linkedin"
	XCom      Network = "xcom"
	Facebook  Network = "facebook"
	Instagram Network = "instagram"
	YouTube   Network = "youtube"
	TikTok    Network = "tiktok"
	Pinterest Network = "pinterest"
	GitHub    Network = "github"
	Dribbble  Network = "dribbble"
	Clutch    Network = "clutch"
)

// Profiles are links to a business's profiles, one list per network, each
// in canonical form (see [ProfileURL]), de-duplicated, in the order found.
// The JSON of a Profiles has every field, an empty array when none.
type Profiles struct {
	LinkedIn  []string `json:"linkedin"`
	XCom      []string `json:"xcom"`
	Facebook  []string `json:"facebook"`
	Instagram []string `json:"instagram"`
	YouTube   []string `json:"youtube"`
	TikTok    []string `json:"tiktok"`
	Pinterest []string `json:"pinterest"`
	GitHub    []string `json:"github"`
	Dribbble  []string `json:"dribbble"`
	Clutch    []string `json:"clutch"`
}

// list returns the field of p for n.
func (p *Profiles) list(n Network) *[]string {
	switch n {
	case LinkedIn:
		return &p.LinkedIn
	case XCom:
		return &p.XCom
	case Facebook:
		return &p.Facebook
	case Instagram:
		return &p.Instagram
	case YouTube:
		return &p.YouTube
	case TikTok:
		return &p.TikTok
	case Pinterest:
		return &p.Pinterest
	case GitHub:
		return &p.GitHub
	case Dribbble:
		return &p.Dribbble
	case Clutch:
		return &p.Clutch
	}
	return nil
}

// Add puts the profile raw links to, in canonical form, in its network's
// list, and reports whether raw is a profile link at all. It does not check
// for repeats.
func (p *Profiles) Add(raw string) bool {
	n, canon, ok := ProfileURL(raw)
	if !ok {
		return false
	}
	l := p.list(n)
	*l = append(*l, canon)
	return true
}

func networks() []Network {
	return []Network{LinkedIn, XCom, Facebook, Instagram, YouTube, TikTok, Pinterest, GitHub, Dribbble, Clutch}
}

var (
	xHandleRE         = regexp.MustCompile(`^[A-Za-z0-9_]{1,15}$`)
	instagramHandleRE = regexp.MustCompile(`^[A-Za-z0-9_.]{1,30}$`)
	facebookNameRE    = regexp.MustCompile(`^[A-Za-z0-9.\-_]{2,100}$`)
	tiktokHandleRE    = regexp.MustCompile(`^@[A-Za-z0-9_.]{2,24}$`)
	pinterestUserRE   = regexp.MustCompile(`^[A-Za-z0-9_]{3,30}$`)
	githubHandleRE    = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$`)
	youtubeNameRE     = regexp.MustCompile(`^[A-Za-z0-9_.\-]{1,100}$`)
	linkedinSlugRE    = regexp.MustCompile(`^[\p{L}\p{N}_.\-%]{2,100}$`)
	digitsRE          = regexp.MustCompile(`^[0-9]{5,20}$`)
	dribbbleHandleRE  = regexp.MustCompile(`^[A-Za-z0-9_-]{2,40}$`)
	clutchSlugRE      = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,120}$`)
)

func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// Reserved first path segments: pages of the network itself, share and
// intent endpoints, content rather than profiles.
var (
	xReserved = set("intent", "share", "home", "hashtag", "search", "i", "explore", "settings", "login",
		"logout", "signup", "messages", "notifications", "tos", "privacy", "compose", "about", "download",
		"account", "widgets", "jobs", "rules", "x", "twitter", "help", "following", "followers", "lists")
	facebookReserved = set("sharer", "sharer.php", "share", "share.php", "dialog", "plugins", "groups",
		"events", "login", "login.php", "tr", "photo", "photo.php", "photos", "watch", "hashtag", "help",
		"policies", "privacy", "l.php", "story.php", "permalink.php", "home.php", "ads", "business",
		"gaming", "marketplace", "legal", "about", "settings", "notes", "media", "video.php", "videos",
		"signup", "recover", "reg", "messages", "friends", "search", "bookmarks", "fundraisers", "donate",
		"stories", "reel", "reels", "profile", "live", "pages", "pg", "people", "public", "terms", "careers",
		"facebook", "fb", "policy.php", "campaign", "offsite_event", "v2.0", "badges", "directory", "find-friends")
	facebookTabs      = set("about", "photos", "posts", "reviews", "videos", "community", "events", "services", "shop", "menu", "info")
	instagramReserved = set("explore", "p", "reel", "reels", "stories", "accounts", "direct", "about", "legal",
		"developer", "_n", "_u", "tv", "web", "privacy", "terms", "emails", "session", "challenge", "oauth",
		"static", "instagram", "help", "press", "api", "create", "share")
	youtubeReserved   = set("watch", "embed", "shorts", "playlist", "results", "feed", "redirect", "t", "hashtag", "premium", "account", "signin", "live", "v", "about", "howyoutubeworks")
	pinterestReserved = set("pin", "search", "ideas", "today", "explore", "business", "settings", "login",
		"categories", "about", "topics", "homefeed", "_", "_tools", "resource", "oauth", "password", "signup", "news_hub")
	githubReserved = set("about", "features", "pricing", "login", "join", "sponsors", "marketplace", "explore",
		"topics", "settings", "apps", "site", "security", "enterprise", "contact", "collections", "trending",
		"events", "customer-stories", "readme", "team", "home", "nonprofit", "pulls", "issues", "notifications",
		"new", "organizations", "codespaces", "search", "logout", "signup", "account", "dashboard", "stars",
		"watching", "blog", "mobile", "github", "features", "resources", "solutions", "premium-support", "orgs")
)

var dribbbleReserved = set("shots", "designers", "jobs", "tags", "search", "session", "signup", "about", "stories",
	"pro", "learn", "hiring", "resources", "following", "followers", "places", "colors", "account", "uploads",
	"shop", "teams", "for-designers", "terms", "privacy", "contact", "advertise", "directories", "freelance-jobs",
	"designer-search", "services", "projects", "auth", "oauth", "api", "dribbble")

// ProfileURL reports whether raw, an absolute URL, points at a profile on one
// of the networks, and returns the profile's canonical URL: https, the
// network's main host (www.linkedin.com, x.com for twitter.com,
// www.facebook.com…), no query or fragment (but Facebook's profile.php?id=),
// no trailing slash, and the handle lower-cased where the network ignores case
// (YouTube channel ids and /c/ and /user/ names keep theirs).
//
// Share, intent and plugin links (twitter.com/intent/tweet,
// facebook.com/sharer.php, linkedin.com/shareArticle, pinterest.com/pin/create),
// single posts, videos and pins, groups, hashtags and the networks' own pages
// are not profiles. It is safe for concurrent use.
func ProfileURL(raw string) (Network, string, bool) {
	if !mayBeProfile(raw) {
		return "", "", false
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", "", false
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	segs := pathSegments(u.Path)
	switch site := siteName(host); site {
	case "linkedin":
		return linkedinProfile(segs)
	case "twitter", "x":
		if site == "x" && host != "x.com" && host != "www.x.com" && host != "mobile.x.com" {
			return "", "", false
		}
		if len(segs) == 0 && strings.HasPrefix(u.Fragment, "!/") { // old #!/handle links
			segs = pathSegments(u.Fragment[1:])
		}
		if len(segs) != 1 || !xHandleRE.MatchString(segs[0]) || xReserved[strings.ToLower(segs[0])] {
			return "", "", false
		}
		return XCom, "https://x.com/" + strings.ToLower(segs[0]), true
	case "facebook", "fb":
		if site == "fb" && host != "fb.com" && host != "www.fb.com" {
			return "", "", false
		}
		return facebookProfile(segs, u.Query())
	case "instagram":
		if len(segs) == 0 || len(segs) > 2 || !instagramHandleRE.MatchString(segs[0]) ||
			instagramReserved[strings.ToLower(segs[0])] || (len(segs) == 2 && segs[1] != "reels" && segs[1] != "tagged") {
			return "", "", false
		}
		return Instagram, "https://www.instagram.com/" + strings.ToLower(segs[0]), true
	case "youtube":
		return youtubeProfile(segs)
	case "tiktok":
		if len(segs) != 1 || !tiktokHandleRE.MatchString(segs[0]) {
			return "", "", false
		}
		return TikTok, "https://www.tiktok.com/" + strings.ToLower(segs[0]), true
	case "pinterest":
		if len(segs) == 0 || len(segs) > 2 || !pinterestUserRE.MatchString(segs[0]) ||
			pinterestReserved[strings.ToLower(segs[0])] || (len(segs) == 2 && segs[1] != "_saved" && segs[1] != "_created") {
			return "", "", false
		}
		return Pinterest, "https://www.pinterest.com/" + strings.ToLower(segs[0]), true
	case "github":
		if host != "github.com" && host != "www.github.com" {
			return "", "", false // gist.github.com, docs.github.com, pages
		}
		if len(segs) == 2 && segs[0] == "orgs" {
			segs = segs[1:]
		}
		if len(segs) != 1 || !githubHandleRE.MatchString(segs[0]) || githubReserved[strings.ToLower(segs[0])] {
			return "", "", false
		}
		return GitHub, "https://github.com/" + strings.ToLower(segs[0]), true
	case "dribbble":
		if len(segs) == 0 || len(segs) > 2 || !dribbbleHandleRE.MatchString(segs[0]) || dribbbleReserved[strings.ToLower(segs[0])] ||
			(len(segs) == 2 && segs[1] != "about" && segs[1] != "shots") {
			return "", "", false
		}
		return Dribbble, "https://dribbble.com/" + strings.ToLower(segs[0]), true
	case "clutch":
		// Only firm profiles: clutch.co/profile/<firm>.
		if len(segs) < 2 || segs[0] != "profile" || !clutchSlugRE.MatchString(strings.ToLower(segs[1])) {
			return "", "", false
		}
		return Clutch, "https://clutch.co/profile/" + strings.ToLower(segs[1]), true
	}
	return "", "", false
}

// profileHosts are the names a profile URL's host holds.
var profileHosts = []string{"linkedin.", "twitter.", "x.com", "facebook.", "fb.com", "instagram.", "youtube.",
	"tiktok.", "pinterest.", "github.", "dribbble.", "clutch."}

// mayBeProfile is a cheap test that raw's scheme and host (its first
// characters) name one of the networks, so that most links are never parsed
// twice.
func mayBeProfile(raw string) bool {
	head := raw[:min(len(raw), 100)]
	for i := 0; i < len(head); i++ {
		if c := head[i]; c >= 'A' && c <= 'Z' {
			head = strings.ToLower(head)
			break
		}
	}
	for _, h := range profileHosts {
		if strings.Contains(head, h) {
			return true
		}
	}
	return false
}

// siteName returns the label of host's registrable domain ("linkedin" for
// de.linkedin.com, "pinterest" for www.pinterest.co.uk), or "".
func siteName(host string) string {
	reg, err := publicsuffix.EffectiveTLDPlusOne(host)
	if err != nil {
		return ""
	}
	label, _, _ := strings.Cut(reg, ".")
	switch label {
	case "linkedin", "facebook", "instagram", "youtube", "tiktok", "pinterest":
		return label
	case "twitter", "x", "fb", "github", "dribbble":
		if strings.HasSuffix(reg, ".com") {
			return label
		}
	case "clutch":
		if reg == "clutch.co" {
			return label
		}
	}
	return ""
}

func pathSegments(p string) []string {
	var out []string
	for _, s := range strings.Split(p, "/") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func linkedinProfile(segs []string) (Network, string, bool) {
	if len(segs) < 2 || !linkedinSlugRE.MatchString(segs[1]) {
		return "", "", false
	}
	switch kind := strings.ToLower(segs[0]); kind {
	case "in", "company", "school", "showcase":
		return LinkedIn, "https://www.linkedin.com/" + kind + "/" + strings.ToLower(segs[1]), true
	}
	return "", "", false
}

func facebookProfile(segs []string, q url.Values) (Network, string, bool) {
	const base = "https://www.facebook.com/"
	if len(segs) == 0 {
		return "", "", false
	}
	first := strings.ToLower(segs[0])
	switch {
	case first == "profile.php":
		if id := q.Get("id"); digitsRE.MatchString(id) {
			return Facebook, base + "profile.php?id=" + id, true
		}
		return "", "", false
	case first == "pages" && len(segs) >= 3 && digitsRE.MatchString(segs[len(segs)-1]):
		return Facebook, base + segs[len(segs)-1], true // /pages/Name/123456
	case first == "people" && len(segs) >= 3 && digitsRE.MatchString(segs[2]):
		return Facebook, base + "profile.php?id=" + segs[2], true // /people/Name/123456
	case first == "pg" && len(segs) >= 2:
		segs = segs[1:] // /pg/name/about: the old page path
		first = strings.ToLower(segs[0])
	}
	if len(segs) > 2 || (len(segs) == 2 && !facebookTabs[strings.ToLower(segs[1])]) {
		return "", "", false
	}
	if !facebookNameRE.MatchString(segs[0]) || facebookReserved[first] || strings.HasSuffix(first, ".php") {
		return "", "", false
	}
	return Facebook, base + first, true
}

func youtubeProfile(segs []string) (Network, string, bool) {
	const base = "https://www.youtube.com/"
	if len(segs) == 0 {
		return "", "", false
	}
	first := segs[0]
	switch {
	case strings.HasPrefix(first, "@") && youtubeNameRE.MatchString(first[1:]):
		return YouTube, base + strings.ToLower(first), true
	case (first == "channel" || first == "c" || first == "user") && len(segs) >= 2 && youtubeNameRE.MatchString(segs[1]):
		return YouTube, base + first + "/" + segs[1], true
	case len(segs) == 1 && !youtubeReserved[strings.ToLower(first)] && youtubeNameRE.MatchString(first) &&
		!strings.Contains(first, "."):
		return YouTube, base + first, true // youtube.com/Name: a legacy custom URL
	}
	return "", "", false
}
