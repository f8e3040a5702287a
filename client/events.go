package client

import (
	"bufio"
	"context"
	"io"
	"net/url"
	"strconv"
	"strings"
)

// Kinds of message of the event stream.
const (
	KindJob      = "job"      // a job changed; Data is its record
	KindDelivery = "delivery" // a webhook delivery attempt was made
	KindWebhook  = "webhook"  // a webhook event was created; Data is a WebhookMessage
)

// EventsOptions choose what an event stream sends.
type EventsOptions struct {
	JobID int64    // only this job's changes; 0 = every job of the account
	Kinds []string // the kinds to send; empty = all
	// LastEventID resumes after the message with this id (the ID of the
	// last Message read); empty starts with changes from now on.
	LastEventID string
}

// Message is one server-sent event.
type Message struct {
	ID    string // its id: where a reconnection resumes
	Event string // its kind
	Data  []byte
}

// WebhookMessage is the data of a "webhook" message: a webhook event as a
// delivery of it carries it.
type WebhookMessage struct {
	ID        string `json:"id"` // the webhook-id header
	Seq       int64  `json:"seq"`
	Type      string `json:"type"` // the event, e.g. scraper.job.finished
	JobID     int64  `json:"jobId"`
	CreatedAt string `json:"createdAt"`
	Body      string `json:"body"` // the exact JSON body of a delivery
}

// Stream is an open GET /events. It is not safe for concurrent use.
type Stream struct {
	body io.ReadCloser
	r    *bufio.Reader
	last string
}

// Events opens the account's event stream. Read it with Next; it ends when
// ctx is done, Close is called or the connection drops (then open another
// with LastEventID set to Stream.LastEventID to lose nothing).
func (c *Client) Events(ctx context.Context, opts EventsOptions) (*Stream, error) {
	q := url.Values{}
	if opts.JobID != 0 {
		q.Set("jobId", strconv.FormatInt(opts.JobID, 10))
	}
	if len(opts.Kinds) > 0 {
		q.Set("kinds", strings.Join(opts.Kinds, ","))
	}
	path := "/events"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	req, err := c.request(ctx, "GET", path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/event-stream")
	if opts.LastEventID != "" {
		req.Header.Set("Last-Event-ID", opts.LastEventID)
	}
	resp, err := c.send(req)
	if err != nil {
		return nil, err
	}
	return &Stream{body: resp.Body, r: bufio.NewReaderSize(resp.Body, 64<<10), last: opts.LastEventID}, nil
}

// LastEventID is the id of the last message read (or the one the stream
// was opened after).
func (s *Stream) LastEventID() string { return s.last }

// Close ends the stream.
func (s *Stream) Close() error { return s.body.Close() }

// Next reads the next message, skipping comments (heartbeats). It returns
// io.EOF, or the read error, when the stream ends; a message cut off by
// the end is not returned.
func (s *Stream) Next() (Message, error) {
	var m Message
	var data []string
	hasData := false
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			if err == io.EOF {
				return Message{}, io.EOF
			}
			return Message{}, err
		}
		line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		if line == "" {
			if !hasData {
				// An event without data is not dispatched, but its id is
				// where the stream resumes (the server opens with one).
				if m.ID != "" {
					s.last = m.ID
				}
				m = Message{}
				continue
			}
			m.Data = []byte(strings.Join(data, "\n"))
			if m.Event == "" {
				m.Event = "message"
			}
			if m.ID != "" {
				s.last = m.ID
			}
			return m, nil
		}
		if strings.HasPrefix(line, ":") {
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "id":
			m.ID = value
		case "event":
			m.Event = value
		case "data":
			data = append(data, value)
			hasData = true
		}
	}
}
