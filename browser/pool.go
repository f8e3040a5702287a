package browser

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"
)

// memoryCheckEvery bounds how often one browser's memory is measured.
const memoryCheckEvery = time.Second

// probeTimeout bounds the check that a browser still answers after a page
// ran out of time.
const probeTimeout = 5 * time.Second

// ErrStopped is returned by Render after Stop.
var ErrStopped = errors.New("browser pool stopped")

// Pool renders pages in one headless Chromium, Config.Tabs at a time. It is
// safe for concurrent use. Build it with New, call Start before Render and
// Stop when done.
type Pool struct {
	cfg   Config
	tabs  chan struct{}
	busy  atomic.Int64
	proxy *proxy

	mu        sync.Mutex
	cur       *instance
	launching chan struct{} // closed when the browser being started is up (or failed)
	started   bool
	stopped   bool
	closing   sync.WaitGroup // browsers being closed
}

// instance is one running Chromium.
type instance struct {
	ctx    context.Context // the browser's chromedp context; tabs are its children
	cancel func()          // closes the browser and waits for it to exit
	pid    int
	lost   <-chan struct{} // closed when the connection to the browser drops

	// guarded by Pool.mu
	refs      int
	retired   bool
	lastCheck time.Time
}

func (in *instance) dead() bool {
	select {
	case <-in.lost:
		return true
	case <-in.ctx.Done():
		return true
	default:
		return false
	}
}

// New returns a pool for cfg with defaults filled in. It starts nothing. The
// error wraps ErrUnavailable when cfg.ExecPath is empty.
func New(cfg Config) (*Pool, error) {
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &Pool{cfg: cfg, tabs: make(chan struct{}, cfg.Tabs)}, nil
}

// Start starts the egress proxy the browser will use. The browser itself is
// started by the first Render. ctx is unused beyond this call.
func (p *Pool) Start(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.started {
		return errors.New("browser pool already started")
	}
	pr, err := startProxy(p.cfg.Egress, p.cfg.Logger)
	if err != nil {
		return err
	}
	p.proxy, p.started = pr, true
	return nil
}

// Stop refuses new pages, closes the browser (cutting pages still rendering)
// and the proxy, and waits for them, or for ctx.
func (p *Pool) Stop(ctx context.Context) error {
	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		return nil
	}
	p.stopped = true
	if p.cur != nil {
		p.retireLocked(p.cur, true)
		p.cur = nil
	}
	pr := p.proxy
	p.mu.Unlock()

	done := make(chan struct{})
	go func() {
		p.closing.Wait()
		if pr != nil {
			pr.close()
		}
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TabsBusy returns the number of pages rendering now.
func (p *Pool) TabsBusy() int { return int(p.busy.Load()) }

// Tabs returns the number of pages the pool renders at once.
func (p *Pool) Tabs() int { return p.cfg.Tabs }

// browserPID returns the process id of the running browser, or 0.
func (p *Pool) browserPID() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cur == nil {
		return 0
	}
	return p.cur.pid
}

// acquire returns the running browser, starting one if there is none, and
// pins it until release. One browser is started at a time, outside p.mu:
// other pages wait for it (or for their ctx), and Stop is not held up.
func (p *Pool) acquire(ctx context.Context) (*instance, error) {
	for {
		p.mu.Lock()
		switch {
		case p.stopped:
			p.mu.Unlock()
			return nil, ErrStopped
		case !p.started:
			p.mu.Unlock()
			return nil, errors.New("browser pool not started")
		}
		if p.cur != nil && p.cur.dead() {
			p.cfg.Observer.BrowserRestarted("crash")
			p.cfg.Logger.Warn("browser: the browser died; starting another", "pid", p.cur.pid)
			p.retireLocked(p.cur, false)
			p.cur = nil
		}
		if p.cur != nil {
			p.cur.refs++
			in := p.cur
			p.mu.Unlock()
			return in, nil
		}
		if wait := p.launching; wait != nil {
			p.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		done := make(chan struct{})
		p.launching = done
		p.mu.Unlock()

		in, err := p.launch(ctx)

		p.mu.Lock()
		p.launching = nil
		close(done)
		if err != nil {
			p.mu.Unlock()
			return nil, err
		}
		if p.stopped {
			p.mu.Unlock()
			in.cancel()
			return nil, ErrStopped
		}
		p.cur = in
		in.refs++
		p.mu.Unlock()
		return in, nil
	}
}

// release unpins in, closes it if it was retired and is now idle, and
// recycles the current browser when it has grown past the memory limit
// (measured at most once a second, outside p.mu).
func (p *Pool) release(in *instance) {
	p.mu.Lock()
	in.refs--
	if in.retired {
		if in.refs == 0 {
			p.closeLocked(in)
		}
		p.mu.Unlock()
		return
	}
	if p.cfg.MemoryLimit < 0 || time.Since(in.lastCheck) < memoryCheckEvery {
		p.mu.Unlock()
		return
	}
	in.lastCheck = time.Now()
	p.mu.Unlock()

	if mem := treeMemory(in.pid); mem > p.cfg.MemoryLimit {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.cur == in {
			p.cfg.Logger.Info("browser: recycling the browser over its memory limit", "memory", mem, "limit", p.cfg.MemoryLimit)
			p.cfg.Observer.BrowserRestarted("memory")
			p.replaceLocked(in)
		}
	}
}

// replace retires in if it is still the current browser: the next page
// starts a fresh one. reason goes to the metrics.
func (p *Pool) replace(in *instance, reason string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cur != in {
		return
	}
	p.cfg.Observer.BrowserRestarted(reason)
	p.cfg.Logger.Warn("browser: replacing the browser", "reason", reason, "pid", in.pid)
	p.replaceLocked(in)
}

func (p *Pool) replaceLocked(in *instance) {
	if p.cur == in {
		p.cur = nil
	}
	p.retireLocked(in, false)
}

// retireLocked marks in for closing: at once when idle or when now is set,
// else when its last page releases it.
func (p *Pool) retireLocked(in *instance, now bool) {
	if in.retired {
		return
	}
	in.retired = true
	if now || in.refs == 0 || in.dead() {
		p.closeLocked(in)
	}
}

func (p *Pool) closeLocked(in *instance) {
	if in.cancel == nil {
		return
	}
	cancel := in.cancel
	in.cancel = nil
	p.closing.Go(cancel)
}

// launch starts a Chromium pointed at the proxy. It is called without p.mu,
// by one page at a time (see acquire).
func (p *Pool) launch(ctx context.Context) (*instance, error) {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(p.cfg.ExecPath),
		chromedp.ProxyServer("http://"+p.proxy.addr()),
		// Chromium sends loopback addresses around the proxy unless told
		// not to; the guard must see them too.
		chromedp.Flag("proxy-bypass-list", "<-loopback>"),
		// Names are resolved by the proxy, never by Chromium: no DNS query
		// leaves the browser (prefetches included), only the proxy's own
		// address is reachable.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"),
		chromedp.Flag("force-webrtc-ip-handling-policy", "disable_non_proxied_udp"),
		chromedp.Flag("webrtc-ip-handling-policy", "disable_non_proxied_udp"),
		chromedp.Flag("disable-popup-blocking", false),
		// Cross-site iframes stay in their page's process, so that the
		// page's request interception (blocking, caps, politeness) sees
		// their requests too; an out-of-process iframe is a target of its
		// own that the tab does not intercept. Site isolation protects a
		// user's data in one site from another; a fresh incognito context
		// per page holds none.
		chromedp.Flag("disable-features", "Translate,BlinkGenPropertyTrees,MediaRouter,OptimizationHints,DialMediaRouteProvider,IsolateOrigins,site-per-process"),
		chromedp.Flag("disable-site-isolation-trials", true),
		chromedp.Flag("mute-audio", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.WindowSize(p.cfg.WindowWidth, p.cfg.WindowHeight),
	)
	if os.Geteuid() == 0 {
		// Chromium refuses to start its sandbox as root (containers).
		opts = append(opts, chromedp.NoSandbox)
	}
	if p.cfg.UserAgent != "" {
		opts = append(opts, chromedp.UserAgent(p.cfg.UserAgent))
	}
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, bcancel := chromedp.NewContext(actx, chromedp.WithErrorf(func(string, ...any) {}))
	closeAll := func() {
		bcancel()
		acancel()
	}

	started := make(chan error, 1)
	go func() { started <- chromedp.Do(bctx) }()
	timer := time.NewTimer(defaultStartTimeout)
	defer timer.Stop()
	var err error
	select {
	case err = <-started:
	case <-timer.C:
		err = fmt.Errorf("no answer within %s", defaultStartTimeout)
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil {
		closeAll()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("start chromium: %w", ctx.Err())
		}
		return nil, fmt.Errorf("start chromium %s: %w: %w", p.cfg.ExecPath, err, ErrUnavailable)
	}
	c := chromedp.FromContext(bctx)
	in := &instance{ctx: bctx, cancel: closeAll, lost: c.Browser.LostConnection}
	if proc := c.Browser.Process(); proc != nil {
		in.pid = proc.Pid
	}
	p.cfg.Logger.Info("browser: started chromium", "pid", in.pid)
	return in, nil
}

// responsive reports whether the browser of in answers a trivial command.
func responsive(in *instance) bool {
	ctx, cancel := context.WithTimeout(in.ctx, probeTimeout)
	defer cancel()
	_, err := chromedp.CallBrowser(ctx, browser.GetVersion, cdp.Empty{})
	return err == nil
}
