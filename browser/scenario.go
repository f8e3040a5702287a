package browser

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/chromedp/chromedp"
)

// The jsScenario actions, spelled as in HasData's API.
const (
	StepClick           = "click"
	StepFill            = "fill"
	StepWait            = "wait"
	StepWaitFor         = "waitFor"
	StepWaitForAndClick = "waitForAndClick"
	StepScrollX         = "scrollX"
	StepScrollY         = "scrollY"
	StepEvaluate        = "evaluate"
)

// stepActions lists the actions in the order error messages name them.
var stepActions = []string{StepClick, StepFill, StepWait, StepWaitFor, StepWaitForAndClick, StepScrollX, StepScrollY, StepEvaluate}

// elementTimeout bounds how long click and fill wait for an element that
// exists to become visible and usable.
const elementTimeout = 5 * time.Second

// Step is one jsScenario action. Its JSON form is a one-key object:
// {"click": "#sel"}, {"fill": ["#sel", "text"]}, {"wait": 1000},
// {"waitFor": "#sel"}, {"waitForAndClick": "#sel"}, {"scrollX": 100},
// {"scrollY": 500}, {"evaluate": "js code"}.
type Step struct {
	Action   string        // one of the Step* constants
	Selector string        // click, fill, waitFor, waitForAndClick
	Value    string        // fill: the text typed; evaluate: the script
	Wait     time.Duration // wait (at most MaxWait)
	Pixels   int           // scrollX, scrollY (negative scrolls back)
}

// String names the step as error messages show it, e.g. click "#go".
func (s Step) String() string {
	switch s.Action {
	case StepWait:
		return fmt.Sprintf("%s %d", s.Action, s.Wait.Milliseconds())
	case StepScrollX, StepScrollY:
		return fmt.Sprintf("%s %d", s.Action, s.Pixels)
	case StepEvaluate:
		return s.Action
	}
	return fmt.Sprintf("%s %q", s.Action, s.Selector)
}

// ParseScenario decodes a jsScenario value: a JSON array of one-key objects,
// or (as query strings and n8n send it) a JSON string holding that array.
// Null or empty means no steps. The error names the bad step by index, e.g.
// `jsScenario[1].fill: want ["selector", "value"]`.
func ParseScenario(raw []byte) ([]Step, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	if raw[0] == '"' {
		var inner string
		if err := json.Unmarshal(raw, &inner); err != nil {
			return nil, fmt.Errorf("jsScenario: %w", err)
		}
		return ParseScenario([]byte(inner))
	}
	var items []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, errors.New("jsScenario: want an array of one-key objects such as {\"click\": \"#button\"}")
	}
	steps := make([]Step, 0, len(items))
	for i, item := range items {
		s, err := parseStep(item)
		if err != nil {
			return nil, fmt.Errorf("jsScenario[%d]%w", i, err)
		}
		steps = append(steps, s)
	}
	return steps, nil
}

// stepError is the tail of a ParseScenario error, after "jsScenario[i]".
type stepError string

func (e stepError) Error() string { return string(e) }

func parseStep(item map[string]json.RawMessage) (Step, error) {
	if len(item) != 1 {
		return Step{}, stepError(fmt.Sprintf(": want exactly one action of %q", stepActions))
	}
	var s Step
	var v json.RawMessage
	for action, value := range item {
		s.Action, v = action, value
	}
	bad := func(want string) (Step, error) {
		return Step{}, stepError(fmt.Sprintf(".%s: want %s", s.Action, want))
	}
	switch s.Action {
	case StepClick, StepWaitFor, StepWaitForAndClick:
		if json.Unmarshal(v, &s.Selector) != nil || s.Selector == "" {
			return bad("a CSS selector string")
		}
	case StepFill:
		var pair []string
		if json.Unmarshal(v, &pair) != nil || len(pair) != 2 || pair[0] == "" {
			return bad(`["selector", "value"]`)
		}
		s.Selector, s.Value = pair[0], pair[1]
	case StepWait:
		ms, ok := number(v)
		if !ok || ms < 0 || ms > MaxWait.Milliseconds() {
			return bad(fmt.Sprintf("milliseconds from 0 to %d", MaxWait.Milliseconds()))
		}
		s.Wait = time.Duration(ms) * time.Millisecond
	case StepScrollX, StepScrollY:
		px, ok := number(v)
		if !ok || px < -1e6 || px > 1e6 {
			return bad("pixels, a whole number")
		}
		s.Pixels = int(px)
	case StepEvaluate:
		if json.Unmarshal(v, &s.Value) != nil || s.Value == "" {
			return bad("a JavaScript string")
		}
	default:
		return Step{}, stepError(fmt.Sprintf(": unknown action %q, want one of %q", s.Action, stepActions))
	}
	return s, nil
}

// number reads a whole number given as a JSON number or a numeric string.
func number(v json.RawMessage) (int64, bool) {
	var f float64
	if err := json.Unmarshal(v, &f); err != nil {
		var s string
		if json.Unmarshal(v, &s) != nil {
			return 0, false
		}
		n, err := strconv.ParseInt(s, 10, 64)
		return n, err == nil
	}
	if f != float64(int64(f)) {
		return 0, false
	}
	return int64(f), true
}

// runStep performs s in the tab of ctx. A missing element or a script
// exception is an error naming the step (i is its 0-based index).
func runStep(ctx context.Context, i int, s Step) error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("jsScenario step %d (%s): %s", i+1, s, fmt.Sprintf(format, args...))
	}
	switch s.Action {
	case StepClick, StepFill:
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf("document.querySelector(%s) !== null", jsString(s.Selector))))
		if err != nil {
			return fail("%v", err)
		}
		if !ok {
			return fail("no element matches the selector")
		}
		ectx, cancel := context.WithTimeout(ctx, elementTimeout)
		defer cancel()
		if s.Action == StepClick {
			err = chromedp.Do(ectx, chromedp.Click(chromedp.CSS(s.Selector), chromedp.NodeVisible))
		} else {
			err = chromedp.Do(ectx,
				chromedp.Evaluate[chromedp.Void](fmt.Sprintf("(e => { e.focus(); if ('value' in e) e.value = ''; })(document.querySelector(%s))", jsString(s.Selector))),
				chromedp.SendKeys(chromedp.CSS(s.Selector), s.Value, chromedp.NodeVisible))
		}
		if err != nil {
			if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
				return fail("the element is not visible")
			}
			return fail("%v", err)
		}
	case StepWaitFor, StepWaitForAndClick:
		if err := chromedp.Do(ctx, chromedp.WaitReady(chromedp.CSS(s.Selector))); err != nil {
			if ctx.Err() != nil {
				return fail("no element appeared before the page deadline")
			}
			return fail("%v", err)
		}
		if s.Action == StepWaitForAndClick {
			ectx, cancel := context.WithTimeout(ctx, elementTimeout)
			defer cancel()
			if err := chromedp.Do(ectx, chromedp.Click(chromedp.CSS(s.Selector), chromedp.NodeVisible)); err != nil {
				if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
					return fail("the element is not visible")
				}
				return fail("%v", err)
			}
		}
	case StepWait:
		if err := chromedp.Do(ctx, chromedp.Sleep(s.Wait)); err != nil {
			return fail("%v", err)
		}
	case StepScrollX, StepScrollY:
		x, y := s.Pixels, 0
		if s.Action == StepScrollY {
			x, y = 0, s.Pixels
		}
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](fmt.Sprintf("window.scrollBy(%d, %d)", x, y))); err != nil {
			return fail("%v", err)
		}
	case StepEvaluate:
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](s.Value, chromedp.EvalAwaitPromise)); err != nil {
			return fail("%v", err)
		}
	default:
		return fail("unknown action")
	}
	return nil
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
