package httpapi

import (
	"encoding/json"
	"io"

	"bytes"
	"context"
	"fmt"
	"github.com/danielgtaylor/huma/v2"
	"net/http"
	"strconv"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/store"
)

type jobOutput struct {
	Body jobRecord
}

type createJobInput struct {
	Slug    string `path:"slug"`
	RawBody []byte
}

func (s *server) createJob(ctx context.Context, in *createJobInput) (*jobOutput, error) {
	if err := s.checkQuota(ctx); err != nil {
		return nil, err
	}
	// huma reuses the body's buffer after the handler returns, so Create
	// gets a copy it may keep.
	body, ignored, err := trimBody(bytes.Clone(in.RawBody), s.paramsOf(in.Slug))
	if err != nil {
		return nil, s.errorFor(ctx, err)
	}
	job, err := s.jobs.Create(ctx, accountFrom(ctx).ID, in.Slug, body)
	if err != nil {
		return nil, s.errorFor(ctx, err)
	}
	rec := s.record(job)
	rec.IgnoredFields = ignored
	return &jobOutput{Body: rec}, nil
}

// paramsOf returns the parameter schema of the scraper slug, nil for none.
func (s *server) paramsOf(slug string) map[string]any {
	for _, sc := range s.scrapers {
		if sc.Slug == slug {
			return sc.Params
		}
	}
	return nil
}

type jobInput struct {
	ID string `path:"id"`
}

func (s *server) getJob(ctx context.Context, in *jobInput) (*jobOutput, error) {
	job, err := s.job(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &jobOutput{Body: s.record(job)}, nil
}

// job reads the caller's job with the id in the path; an id that is not a
// positive integer names no job.
func (s *server) job(ctx context.Context, rawID string) (*trawl.Job, error) {
	id, ok := parseJobID(rawID)
	if !ok {
		return nil, notFound(rawID)
	}
	job, err := s.store.Job(ctx, accountFrom(ctx).ID, id)
	if err != nil {
		return nil, s.errorFor(ctx, err)
	}
	return job, nil
}

// jobPath is the path of job id's record, under which its other routes lie.
func jobPath(id int64) string { return "/scrapers/jobs/" + strconv.FormatInt(id, 10) }

func parseJobID(raw string) (int64, bool) {
	id, err := strconv.ParseInt(raw, 10, 64)
	return id, err == nil && id > 0
}

func notFound(rawID string) *errorBody {
	return &errorBody{status: http.StatusNotFound, Message: fmt.Sprintf("Job %q not found.", rawID)}
}

type stopOutput struct {
	Body stoppedJob
}

func (s *server) stopJob(ctx context.Context, in *jobInput) (*stopOutput, error) {
	id, ok := parseJobID(in.ID)
	if !ok {
		return nil, notFound(in.ID)
	}
	job, err := s.jobs.Stop(ctx, accountFrom(ctx).ID, id)
	if err != nil {
		return nil, s.errorFor(ctx, err)
	}
	return &stopOutput{Body: stoppedJob(s.record(job))}, nil
}

type resultsInput struct {
	ID    string `path:"id"`
	Page  int64  `query:"page" default:"1" minimum:"1" doc:"The page, from 1. A page past the last one is empty."`
	Limit int64  `query:"limit" default:"100" minimum:"1" maximum:"100" doc:"Rows per page."`
}

type resultsOutput struct {
	Body resultsPage
}

type resultsPage struct {
	Meta pageMeta `json:"meta"`
	Data []row    `json:"data" nullable:"false"`
}

func (s *server) getResults(ctx context.Context, in *resultsInput) (*resultsOutput, error) {
	job, err := s.job(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	rows, total, err := s.store.Rows(ctx, job.ID, pageOffset(in.Page, in.Limit), in.Limit)
	if err != nil {
		return nil, s.errorFor(ctx, err)
	}
	page := resultsPage{
		Meta: s.pageMeta(jobPath(job.ID)+"/results", "", total, in.Page, in.Limit),
		Data: make([]row, 0, len(rows)),
	}
	for _, r := range rows {
		page.Data = append(page.Data, toRow(r))
	}
	return &resultsOutput{Body: page}, nil
}

type listJobsInput struct {
	Status statusFilter `query:"status"`
	Page   int64        `query:"page" default:"1" minimum:"1" doc:"The page, from 1. A page past the last one is empty."`
	Limit  int64        `query:"limit" default:"20" minimum:"1" maximum:"100" doc:"Jobs per page."`
}

type jobsPage struct {
	Meta pageMeta    `json:"meta"`
	Data []jobRecord `json:"data" nullable:"false"`
}

// listChunk is how many jobs a listing reads from the database at a time.
// A page is written as it is read, so however large the jobs' inputs, a
// listing holds a few of them in memory, not a page of them.
const listChunk = 1

func (s *server) listJobs(ctx context.Context, in *listJobsInput) (*huma.StreamResponse, error) {
	filter := store.JobFilter{
		AccountID: accountFrom(ctx).ID,
		Status:    trawl.Status(in.Status),
		Offset:    pageOffset(in.Page, in.Limit),
		Limit:     min(listChunk, in.Limit),
	}
	jobs, total, err := s.store.Jobs(ctx, filter)
	if err != nil {
		return nil, s.errorFor(ctx, err)
	}
	meta := s.pageMeta("/scrapers/jobs", string(in.Status), total, in.Page, in.Limit)
	return &huma.StreamResponse{Body: func(hctx huma.Context) {
		hctx.SetHeader("Content-Type", "application/json")
		hctx.SetStatus(http.StatusOK)
		w := hctx.BodyWriter()
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		_, _ = io.WriteString(w, `{"meta":`)
		_ = enc.Encode(meta)
		_, _ = io.WriteString(w, `,"data":[`)
		written := int64(0)
		for {
			for _, j := range jobs {
				if written > 0 {
					_, _ = io.WriteString(w, ",")
				}
				if err := s.writeRecord(w, enc, j); err != nil {
					panic(http.ErrAbortHandler) // the client is gone
				}
				written++
			}
			if len(jobs) < int(filter.Limit) || written >= in.Limit {
				break
			}
			filter.Offset, filter.BeforeID = 0, jobs[len(jobs)-1].ID
			filter.Limit = min(listChunk, in.Limit-written)
			if jobs, _, err = s.store.Jobs(ctx, filter); err != nil {
				// The status is out: cut the connection so that the client
				// sees a broken answer, not a short page.
				s.logInternal(ctx, fmt.Errorf("list jobs: %w", err))
				panic(http.ErrAbortHandler)
			}
		}
		_, _ = io.WriteString(w, "]}\n")
	}}, nil
}

// writeRecord writes j's record to w. The input, the one part that may be
// large, is copied straight from the job rather than through the encoder
// (which would hold it twice more).
func (s *server) writeRecord(w io.Writer, enc *json.Encoder, j *trawl.Job) error {
	rec := s.record(j)
	input := rec.Input
	if !json.Valid(input) {
		return enc.Encode(rec)
	}
	rec.Input = json.RawMessage("0")
	var head bytes.Buffer
	e := json.NewEncoder(&head)
	e.SetEscapeHTML(false)
	if err := e.Encode(rec); err != nil {
		return err
	}
	const mark = `,"input":0,`
	before, after, ok := bytes.Cut(head.Bytes(), []byte(mark))
	if !ok {
		rec.Input = input
		return enc.Encode(rec)
	}
	for _, part := range [][]byte{before, []byte(`,"input":`), input, []byte(","), after} {
		if _, err := w.Write(part); err != nil {
			return err
		}
	}
	return nil
}
