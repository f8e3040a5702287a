package browser

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trawlhq/trawl/scrape/page"
)

func TestParseScenario(t *testing.T) {
	t.Parallel()
	good := []struct {
		in   string
		want []Step
	}{
		{``, nil},
		{`null`, nil},
		{`[{"click": "#a"}, {"fill": ["#b", "x"]}, {"wait": 1500}, {"waitFor": ".c"}, {"waitForAndClick": "#d"}, {"scrollX": -40}, {"scrollY": "600"}, {"evaluate": "1+1"}]`, []Step{
			{Action: StepClick, Selector: "#a"},
			{Action: StepFill, Selector: "#b", Value: "x"},
			{Action: StepWait, Wait: 1500 * time.Millisecond},
			{Action: StepWaitFor, Selector: ".c"},
			{Action: StepWaitForAndClick, Selector: "#d"},
			{Action: StepScrollX, Pixels: -40},
			{Action: StepScrollY, Pixels: 600},
			{Action: StepEvaluate, Value: "1+1"},
		}},
		{`"[{\"click\": \"#a\"}]"`, []Step{{Action: StepClick, Selector: "#a"}}},
	}
	for _, tc := range good {
		got, err := ParseScenario([]byte(tc.in))
		if err != nil {
			t.Errorf("ParseScenario(%s): %v", tc.in, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("ParseScenario(%s) (-want +got):\n%s", tc.in, diff)
		}
	}
	bad := []struct{ in, want string }{
		{`{"click": "#a"}`, "jsScenario: want an array"},
		{`[{"click": ""}]`, `jsScenario[0].click: want a CSS selector string`},
		{`[{"click": "#a"}, {"fill": ["#b"]}]`, `jsScenario[1].fill: want ["selector", "value"]`},
		{`[{"wait": 30001}]`, "jsScenario[0].wait: want milliseconds from 0 to 30000"},
		{`[{"wait": 1.5}]`, "jsScenario[0].wait: want milliseconds"},
		{`[{"hover": "#a"}]`, `jsScenario[0]: unknown action "hover", want one of`},
		{`[{"click": "#a", "wait": 1}]`, "jsScenario[0]: want exactly one action"},
	}
	for _, tc := range bad {
		_, err := ParseScenario([]byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseScenario(%s): got %v, want an error containing %q", tc.in, err, tc.want)
		}
	}
}

func TestGlob(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, url string
		want         bool
	}{
		{"**.doubleclick.net/**", "https://ad.doubleclick.net/x/y.js", true},
		{"**.doubleclick.net/**", "https://example.org/doubleclick.net", false},
		{"**/tracker.js", "http://127.0.0.1:8080/tracker.js", true},
		{"**/tracker.js", "http://127.0.0.1:8080/tracker.json", false},
		{"https://example.org/*.png", "https://example.org/a.png", true},
		{"https://example.org/*.png", "https://example.org/img/a.png", false},
		{"https://example.org/?.css", "https://example.org/a.css", true},
		{"https://example.org/a+b(c)", "https://example.org/a+b(c)", true},
	}
	for _, tc := range tests {
		re, err := compileGlob(tc.pattern)
		if err != nil {
			t.Fatalf("compileGlob(%q): %v", tc.pattern, err)
		}
		if got := re.MatchString(tc.url); got != tc.want {
			t.Errorf("%q matches %q: got %v, want %v", tc.pattern, tc.url, got, tc.want)
		}
	}
	if err := CheckBlockURLs([]string{"**/x", ""}); err == nil || !strings.Contains(err.Error(), "blockUrls[1]") {
		t.Errorf("CheckBlockURLs with an empty pattern: got %v, want an error naming blockUrls[1]", err)
	}
}

func TestHostList(t *testing.T) {
	t.Parallel()
	list := ParseHostList(`# comment
0.0.0.0 ads.example.com tracker.example.net # trailing
127.0.0.1 localhost
||banners.example.org^
plain.example
1.2.3.4
`)
	want := map[string]struct{}{"ads.example.com": {}, "tracker.example.net": {}, "banners.example.org": {}, "plain.example": {}}
	if diff := cmp.Diff(want, list); diff != "" {
		t.Errorf("ParseHostList (-want +got):\n%s", diff)
	}
	for host, blocked := range map[string]bool{
		"ads.example.com": true, "x.ads.example.com": true, "example.com": false, "notads.example.com": false,
	} {
		if got := isAdHost(list, host); got != blocked {
			t.Errorf("isAdHost(%q): got %v, want %v", host, got, blocked)
		}
	}
	if !isAdHost(adHosts(), "securepubads.g.doubleclick.net") {
		t.Error("the embedded list does not block doubleclick.net")
	}
}

func TestPoolLifecycle(t *testing.T) {
	t.Parallel()
	if _, err := New(Config{}); !errors.Is(err, ErrUnavailable) {
		t.Errorf("New without a Chromium: got %v, want ErrUnavailable", err)
	}
	if _, err := New(Config{ExecPath: "/nonexistent/chromium"}); err == nil {
		t.Error("New with a missing binary: got nil error")
	}
	exe, err := os.Executable() // any file will do: the browser starts at the first page
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(Config{ExecPath: exe})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Render(context.Background(), Request{URL: "http://127.0.0.1/"}); err == nil || !strings.Contains(err.Error(), "not started") {
		t.Errorf("render before Start: got %v, want a not-started error", err)
	}
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := p.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Render(context.Background(), Request{URL: "http://127.0.0.1/"}); !errors.Is(err, ErrStopped) {
		t.Errorf("render after Stop: got %v, want ErrStopped", err)
	}
	for _, req := range []Request{
		{URL: "http://127.0.0.1/", Wait: MaxWait + time.Millisecond},
		{URL: "http://127.0.0.1/", Screenshot: "gif"},
		{URL: "http://127.0.0.1/", BlockURLs: []string{""}},
		{URL: "http:///nohost"},
	} {
		if _, err := p.Render(context.Background(), req); err == nil || errors.Is(err, ErrStopped) {
			t.Errorf("render %+v: got %v, want the request refused", req, err)
		}
	}
}

func TestStepsOfTheEnginesScenario(t *testing.T) {
	t.Parallel()
	n, px := 250, -30
	got := stepsOf([]page.Action{
		{Click: "#a"}, {Fill: &[2]string{"#b", "x"}}, {Wait: &n}, {WaitFor: ".c"},
		{WaitForAndClick: "#d"}, {ScrollX: &px}, {ScrollY: &n}, {Evaluate: "1"},
	})
	want := []Step{
		{Action: StepClick, Selector: "#a"}, {Action: StepFill, Selector: "#b", Value: "x"},
		{Action: StepWait, Wait: 250 * time.Millisecond}, {Action: StepWaitFor, Selector: ".c"},
		{Action: StepWaitForAndClick, Selector: "#d"}, {Action: StepScrollX, Pixels: -30},
		{Action: StepScrollY, Pixels: 250}, {Action: StepEvaluate, Value: "1"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stepsOf (-want +got):\n%s", diff)
	}
}
