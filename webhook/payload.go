package webhook

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/trawlhq/trawl"
)

// Payload is the JSON body of every event trawl sends. It is a superset of
// what the two versions of HasData's documentation describe, so clients
// written against either work: the data event carries its rows under "data"
// (or under "dataRows" for subscribers of the older event name), and every
// event carries the running totals.
type Payload struct {
	Event         string       `json:"event"`
	JobID         int64        `json:"jobId"`
	JobStatus     trawl.Status `json:"jobStatus"`
	Timestamp     string       `json:"timestamp"`
	DataRowsCount int64        `json:"dataRowsCount"`
	CreditsSpent  int64        `json:"creditsSpent"`
	// StopReason is only in the finished event, where it is null when the
	// job ended without one.
	StopReason *json.RawMessage `json:"stopReason,omitempty"`
	// Data holds the rows of a data event, and the download links
	// ({json, csv, xlsx}) of the finished event.
	Data any `json:"data,omitempty"`
	// DataRows holds the rows of a data event for subscribers of
	// scraper.data.rows_added.
	DataRows []json.RawMessage `json:"dataRows,omitempty"`
}

// NewEvent builds the outbox event of type typ for job as it is now, with a
// fresh webhook-id. rows are the inner row objects of a data event (nil for
// the others). The finished event's download links are not stored: they are
// signed for a limited time, so the worker adds them at each attempt
// (withLinks).
func NewEvent(job *trawl.Job, typ string, rows []json.RawMessage, now time.Time) (*trawl.Event, error) {
	p := Payload{
		Event:         typ,
		JobID:         job.ID,
		JobStatus:     job.Status,
		Timestamp:     now.UTC().Format(time.RFC3339),
		DataRowsCount: job.DataRowsCount,
		CreditsSpent:  job.CreditsSpent,
	}
	switch typ {
	case trawl.EventJobStarted:
	case trawl.EventDataScraped:
		p.Data = nonNil(rows)
	case trawl.EventDataRowsAdded:
		p.DataRows = nonNil(rows)
	case trawl.EventJobFinished:
		reason := json.RawMessage("null")
		if job.StopReason != "" {
			b, err := json.Marshal(job.StopReason)
			if err != nil {
				return nil, err
			}
			reason = b
		}
		p.StopReason = &reason
	default:
		return nil, fmt.Errorf("unknown event type %q", typ)
	}
	body, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode %s payload: %w", typ, err)
	}
	return &trawl.Event{ID: "msg_" + trawl.NewUUID(), JobID: job.ID, Type: typ, Payload: body}, nil
}

func nonNil(rows []json.RawMessage) []json.RawMessage {
	if rows == nil {
		return []json.RawMessage{}
	}
	return rows
}

// withLinks returns a finished event's payload with its download links,
// signed at the time of the attempt: a redelivery may come long after the
// event was written.
func withLinks(payload []byte, links any) ([]byte, error) {
	var p Payload
	if err := json.Unmarshal(payload, &p); err != nil {
		return nil, fmt.Errorf("read payload: %w", err)
	}
	p.Data = links
	if p.StopReason == nil { // a JSON null decodes to nil; the finished event keeps it
		null := json.RawMessage("null")
		p.StopReason = &null
	}
	return json.Marshal(p)
}
