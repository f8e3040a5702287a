package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/export"
)

// msgExportNotFound is the one answer to a link that is malformed, tampered
// with, expired or names a job that is gone: it does not say which.
const msgExportNotFound = "Export not found: the link is unknown or has expired."

// Exports is what the download routes need.
type Exports struct {
	// Tokens checks the tokens of signed links; *export.Signer implements
	// it.
	Tokens Tokens
	// Rows walks a job's stored rows; the store implements it.
	Rows RowWalker
	// Now is the clock links are checked against; default time.Now.
	Now func() time.Time
}

// Tokens checks a signed link's token.
type Tokens interface {
	// Verify returns the job and format token names, or an error when it is
	// malformed, forged or expired at now.
	Verify(token string, now time.Time) (jobID int64, f export.Format, err error)
}

// RowWalker walks a job's rows without holding them all.
type RowWalker interface {
	// EachRow calls fn with each row of the job with Seq <= upTo, in order,
	// and returns fn's first error.
	EachRow(ctx context.Context, jobID, upTo int64, fn func(*trawl.Row) error) error
}

func (e *Exports) now() time.Time {
	if e.Now == nil {
		return time.Now()
	}
	return e.Now()
}

type exportFileInput struct {
	File string `path:"file" doc:"The link's token and the format's extension: <token>.json, <token>.csv or <token>.xlsx."`
}

// downloadExport serves a signed link. Every way a link can be wrong is the
// same 404.
func (s *server) downloadExport(ctx context.Context, in *exportFileInput) (*huma.StreamResponse, error) {
	notFound := &errorBody{status: http.StatusNotFound, Message: msgExportNotFound}
	i := strings.LastIndexByte(in.File, '.')
	if i < 0 {
		return nil, notFound
	}
	f, ok := export.ParseFormat(in.File[i+1:])
	if !ok {
		return nil, notFound
	}
	id, signed, err := s.exports.Tokens.Verify(in.File[:i], s.exports.now())
	if err != nil || signed != f {
		return nil, notFound
	}
	job, err := s.store.Job(ctx, 0, id)
	if trawl.ErrorCode(err) == trawl.ENOTFOUND {
		return nil, notFound
	} else if err != nil {
		return nil, s.errorFor(ctx, err)
	}
	return s.streamExport(job, f), nil
}

// exportResults serves the caller's job's rows in format f; the job need
// not have ended (the rows stored so far).
func (s *server) exportResults(f export.Format) func(context.Context, *jobInput) (*huma.StreamResponse, error) {
	return func(ctx context.Context, in *jobInput) (*huma.StreamResponse, error) {
		job, err := s.job(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		return s.streamExport(job, f), nil
	}
}

// streamExport writes job's rows as they are read from the database. The
// walk is bounded by the row count the job had when it was read, so a job
// still running exports a consistent table.
//
// Headers and the 200 go out with the first bytes, so an error before then
// (too many columns for a table, the database failing) is an ordinary error
// response. An error after them can no longer change the status: the
// connection is cut instead, so that the client sees a broken transfer
// rather than a short file that looks whole.
func (s *server) streamExport(job *trawl.Job, f export.Format) *huma.StreamResponse {
	return &huma.StreamResponse{Body: func(hctx huma.Context) {
		ctx := hctx.Context()
		out := &exportResponse{hctx: hctx, format: f, jobID: job.ID}
		if hctx.Method() == http.MethodHead {
			out.start()
			return
		}
		rows := func(yield func(json.RawMessage) error) error {
			return s.exports.Rows.EachRow(ctx, job.ID, job.DataRowsCount, func(r *trawl.Row) error { return yield(r.Data) })
		}
		err := export.Write(out, f, s.columnsOf(job.Scraper), rows)
		switch {
		case err == nil:
			out.start()
		case !out.started:
			writeHumaError(hctx, s.errorFor(ctx, err))
		case ctx.Err() != nil || out.writeErr != nil:
			s.log.InfoContext(ctx, "export cut short: the client went away", "request_id", requestID(ctx), "job_id", job.ID, "format", f)
		default:
			s.log.ErrorContext(ctx, "export failed after it started; cutting the connection", "request_id", requestID(ctx),
				"job_id", job.ID, "format", f, "err", err)
			panic(http.ErrAbortHandler)
		}
	}}
}

// logPath is a request path fit for the log: the token of a download link
// is a credential, so only its extension is kept.
func logPath(p string) string {
	file, ok := strings.CutPrefix(p, "/exports/")
	if !ok {
		return p
	}
	if i := strings.LastIndexByte(file, '.'); i >= 0 {
		return "/exports/…" + file[i:]
	}
	return "/exports/…"
}

// columnsOf returns the declared columns of the scraper slug.
func (s *server) columnsOf(slug string) []string {
	for _, sc := range s.scrapers {
		if sc.Slug == slug {
			return sc.Columns
		}
	}
	return nil
}

// exportResponse writes the download's headers and status just before its
// first bytes.
type exportResponse struct {
	hctx    huma.Context
	format  export.Format
	jobID   int64
	started bool
	// writeErr is the first error writing to the client: it has gone.
	writeErr error
}

func (o *exportResponse) start() {
	if o.started {
		return
	}
	o.started = true
	o.hctx.SetHeader("Content-Type", o.format.ContentType())
	o.hctx.SetHeader("Content-Disposition", `attachment; filename="`+export.FileName(o.jobID, o.format)+`"`)
	o.hctx.SetHeader("Cache-Control", "no-store")
	o.hctx.SetHeader("X-Content-Type-Options", "nosniff")
	o.hctx.SetStatus(http.StatusOK)
}

func (o *exportResponse) Write(p []byte) (int, error) {
	o.start()
	n, err := o.hctx.BodyWriter().Write(p)
	if err != nil && o.writeErr == nil {
		o.writeErr = err
	}
	return n, err
}

// exportResponses documents a download's 200: the media types it may have
// and its Content-Disposition.
func exportResponses(formats ...export.Format) map[string]*huma.Response {
	schemas := map[export.Format]*huma.Schema{
		export.FormatJSON: {Type: huma.TypeArray, Items: &huma.Schema{Type: huma.TypeObject}, Description: "The rows: one array of the row objects."},
		export.FormatCSV:  {Type: huma.TypeString, Description: "RFC 4180 CSV in UTF-8 with a header row; nested fields as dotted columns."},
		export.FormatXLSX: {Type: huma.TypeString, Format: "binary", Description: "An Excel workbook with a bold, frozen header row."},
	}
	content := map[string]*huma.MediaType{}
	for _, f := range formats {
		content[f.ContentType()] = &huma.MediaType{Schema: schemas[f]}
	}
	return map[string]*huma.Response{"200": {
		Description: "The job's rows, streamed as they are read.",
		Content:     content,
		Headers: map[string]*huma.Param{"Content-Disposition": {
			Description: `attachment; filename="trawl-job-<id>.<ext>"`,
			Schema:      &huma.Schema{Type: huma.TypeString},
		}},
	}}
}
