package browser

import (
	"context"
	"time"

	"github.com/trawlhq/trawl/scrape/page"
)

// Renderer is the pool as the page engine's renderer (page.Renderer):
// jsRendering for /scrape/web and for crawler jobs. Screenshots are JPEG, as
// HasData serves them.
type Renderer struct{ Pool *Pool }

var _ page.Renderer = Renderer{}

// Render implements page.Renderer.
func (r Renderer) Render(ctx context.Context, url string, o page.RenderOptions) (*page.Rendered, error) {
	req := Request{
		URL:            url,
		Wait:           o.Wait,
		WaitFor:        o.WaitFor,
		Scenario:       stepsOf(o.Scenario),
		BlockResources: o.BlockResources,
		BlockAds:       o.BlockAds,
		BlockURLs:      o.BlockURLs,
		Header:         o.Header,
		RespectRobots:  o.RespectRobots,
		Rate:           o.Rate,
	}
	if o.Screenshot {
		req.Screenshot = JPEG
	}
	pg, err := r.Pool.Render(ctx, req)
	if err != nil {
		return nil, err
	}
	return &page.Rendered{
		URL:         pg.URL,
		StatusCode:  pg.StatusCode,
		Status:      pg.Status,
		Header:      pg.Header,
		HTML:        []byte(pg.HTML),
		ContentType: pg.ContentType,
		Screenshot:  pg.Screenshot,
	}, nil
}

// stepsOf converts the page engine's decoded jsScenario into Steps.
func stepsOf(actions []page.Action) []Step {
	steps := make([]Step, 0, len(actions))
	for _, a := range actions {
		var s Step
		switch {
		case a.Click != "":
			s = Step{Action: StepClick, Selector: a.Click}
		case a.Fill != nil:
			s = Step{Action: StepFill, Selector: a.Fill[0], Value: a.Fill[1]}
		case a.Wait != nil:
			s = Step{Action: StepWait, Wait: time.Duration(*a.Wait) * time.Millisecond}
		case a.WaitFor != "":
			s = Step{Action: StepWaitFor, Selector: a.WaitFor}
		case a.WaitForAndClick != "":
			s = Step{Action: StepWaitForAndClick, Selector: a.WaitForAndClick}
		case a.ScrollX != nil:
			s = Step{Action: StepScrollX, Pixels: *a.ScrollX}
		case a.ScrollY != nil:
			s = Step{Action: StepScrollY, Pixels: *a.ScrollY}
		case a.Evaluate != "":
			s = Step{Action: StepEvaluate, Value: a.Evaluate}
		default:
			continue
		}
		steps = append(steps, s)
	}
	return steps
}
