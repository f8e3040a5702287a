package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sync"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riversqlite"
)

// River hears of new work through notifications. On SQLite its driver
// stores them in a table that each listener polls every 50 ms, which put
// 15–25 ms between a commit and the start of its webhook delivery. One
// process owns a SQLite database, so trawl passes the notifications in
// memory instead: River's driver is wrapped so that a notification goes
// straight to the listeners of this database.
//
// A notification is published when the statement that sends it runs, before
// its transaction commits. That is early, never too early: River answers an
// insert notification by fetching work through the writers' gate (see
// writeGate), which the notifying transaction holds until it ends, so the
// fetch sees the committed jobs. A transaction that rolls back costs one fetch that finds
// nothing.

// notifyHub passes one database's notifications to its listeners.
type notifyHub struct {
	mu        sync.Mutex
	listeners map[*hubListener]struct{}
}

func newNotifyHub() *notifyHub {
	return &notifyHub{listeners: map[*hubListener]struct{}{}}
}

// publish hands each payload of topic to every listener of topic.
func (h *notifyHub) publish(p *riverdriver.NotifyManyParams) {
	if len(p.Payload) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for l := range h.listeners {
		l.deliver(p.Topic, p.Payload)
	}
}

// riverDriver is River's SQLite driver with notifications in memory.
type riverDriver struct {
	*riversqlite.Driver
	hub *notifyHub
}

// GetExecutor implements riverdriver.Driver.
func (d *riverDriver) GetExecutor() riverdriver.Executor {
	return &hubExecutor{Executor: d.Driver.GetExecutor(), hub: d.hub}
}

// GetListener implements riverdriver.Driver.
func (d *riverDriver) GetListener(p *riverdriver.GetListenenerParams) riverdriver.Listener {
	return &hubListener{hub: d.hub, schema: p.Schema, wake: make(chan struct{}, 1)}
}

// UnwrapExecutor implements riverdriver.Driver.
func (d *riverDriver) UnwrapExecutor(tx *sql.Tx) riverdriver.ExecutorTx {
	return &hubExecutorTx{ExecutorTx: d.Driver.UnwrapExecutor(tx), hub: d.hub}
}

// UnwrapTx implements riverdriver.Driver.
func (d *riverDriver) UnwrapTx(execTx riverdriver.ExecutorTx) *sql.Tx {
	if w, ok := execTx.(*hubExecutorTx); ok {
		execTx = w.ExecutorTx
	}
	return d.Driver.UnwrapTx(execTx)
}

// hubExecutor is an executor whose notifications, and those of the
// transactions it begins, go to the hub.
type hubExecutor struct {
	riverdriver.Executor
	hub *notifyHub
}

// Begin implements riverdriver.Executor.
func (e *hubExecutor) Begin(ctx context.Context) (riverdriver.ExecutorTx, error) {
	tx, err := e.Executor.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return &hubExecutorTx{ExecutorTx: tx, hub: e.hub}, nil
}

// NotifyMany implements riverdriver.Executor.
func (e *hubExecutor) NotifyMany(_ context.Context, p *riverdriver.NotifyManyParams) error {
	e.hub.publish(p)
	return nil
}

// hubExecutorTx is hubExecutor's transaction.
type hubExecutorTx struct {
	riverdriver.ExecutorTx
	hub *notifyHub
}

// Begin implements riverdriver.Executor (a savepoint).
func (t *hubExecutorTx) Begin(ctx context.Context) (riverdriver.ExecutorTx, error) {
	tx, err := t.ExecutorTx.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return &hubExecutorTx{ExecutorTx: tx, hub: t.hub}, nil
}

// NotifyMany implements riverdriver.Executor.
func (t *hubExecutorTx) NotifyMany(_ context.Context, p *riverdriver.NotifyManyParams) error {
	t.hub.publish(p)
	return nil
}

// hubListener is one River listener on the hub.
type hubListener struct {
	hub    *notifyHub
	schema string
	wake   chan struct{} // signalled when pending grows

	mu        sync.Mutex
	connected bool
	topics    map[string]bool
	pending   []*riverdriver.Notification
}

// deliver queues the payloads when the listener listens to topic. It never
// blocks the publisher.
func (l *hubListener) deliver(topic string, payloads []string) {
	l.mu.Lock()
	if !l.topics[topic] {
		l.mu.Unlock()
		return
	}
	for _, p := range payloads {
		l.pending = append(l.pending, &riverdriver.Notification{Topic: topic, Payload: p})
	}
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

var errNotConnected = errors.New("listener is not connected")

// Connect implements riverdriver.Listener.
func (l *hubListener) Connect(context.Context) error {
	l.mu.Lock()
	if l.connected {
		l.mu.Unlock()
		return errors.New("connection already established")
	}
	l.connected, l.topics = true, map[string]bool{}
	l.mu.Unlock()
	l.hub.mu.Lock()
	l.hub.listeners[l] = struct{}{}
	l.hub.mu.Unlock()
	return nil
}

// Close implements riverdriver.Listener.
func (l *hubListener) Close(context.Context) error {
	l.hub.mu.Lock()
	delete(l.hub.listeners, l)
	l.hub.mu.Unlock()
	l.mu.Lock()
	l.connected, l.topics, l.pending = false, nil, nil
	l.mu.Unlock()
	select { // a waiter returns
	case l.wake <- struct{}{}:
	default:
	}
	return nil
}

// Listen implements riverdriver.Listener.
func (l *hubListener) Listen(_ context.Context, topic string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.connected {
		return errNotConnected
	}
	l.topics[topic] = true
	return nil
}

// Unlisten implements riverdriver.Listener.
func (l *hubListener) Unlisten(_ context.Context, topic string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.connected {
		return errNotConnected
	}
	delete(l.topics, topic)
	return nil
}

// Ping implements riverdriver.Listener.
func (l *hubListener) Ping(context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.connected {
		return errNotConnected
	}
	return nil
}

// Schema implements riverdriver.Listener.
func (l *hubListener) Schema() string { return l.schema }

// SetAfterConnectExec implements riverdriver.Listener; there is no
// connection to run anything on.
func (l *hubListener) SetAfterConnectExec(string) {}

// WaitForNotification implements riverdriver.Listener.
func (l *hubListener) WaitForNotification(ctx context.Context) (*riverdriver.Notification, error) {
	for {
		l.mu.Lock()
		if !l.connected {
			l.mu.Unlock()
			return nil, errNotConnected
		}
		if len(l.pending) > 0 {
			n := l.pending[0]
			l.pending[0] = nil
			l.pending = l.pending[1:]
			l.mu.Unlock()
			return n, nil
		}
		l.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-l.wake:
		}
	}
}
