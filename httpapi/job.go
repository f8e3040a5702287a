package httpapi

import (
	"bytes"
	"context"
	"fmt"
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
	job, err := s.jobs.Create(ctx, accountFrom(ctx).ID, in.Slug, bytes.Clone(in.RawBody))
	if err != nil {
		return nil, s.errorFor(ctx, err)
	}
	return &jobOutput{Body: s.record(job)}, nil
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

type jobsOutput struct {
	Body jobsPage
}

type jobsPage struct {
	Meta pageMeta    `json:"meta"`
	Data []jobRecord `json:"data" nullable:"false"`
}

func (s *server) listJobs(ctx context.Context, in *listJobsInput) (*jobsOutput, error) {
	jobs, total, err := s.store.Jobs(ctx, store.JobFilter{
		AccountID: accountFrom(ctx).ID,
		Status:    trawl.Status(in.Status),
		Offset:    pageOffset(in.Page, in.Limit),
		Limit:     in.Limit,
	})
	if err != nil {
		return nil, s.errorFor(ctx, err)
	}
	page := jobsPage{
		Meta: s.pageMeta("/scrapers/jobs", string(in.Status), total, in.Page, in.Limit),
		Data: make([]jobRecord, 0, len(jobs)),
	}
	for _, j := range jobs {
		page.Data = append(page.Data, s.record(j))
	}
	return &jobsOutput{Body: page}, nil
}
