package export

import (
	"fmt"
	"io"
	"strconv"
)

// Format is a download format; its value is the file extension.
type Format string

// The formats, in the order links list them.
const (
	FormatJSON Format = "json"
	FormatCSV  Format = "csv"
	FormatXLSX Format = "xlsx"
)

// Formats lists every format.
func Formats() []Format { return []Format{FormatJSON, FormatCSV, FormatXLSX} }

// ParseFormat returns the format whose extension is ext ("csv", not ".csv").
func ParseFormat(ext string) (Format, bool) {
	for _, f := range Formats() {
		if string(f) == ext {
			return f, true
		}
	}
	return "", false
}

// ContentType is the media type a download of the format is served with.
func (f Format) ContentType() string {
	switch f {
	case FormatJSON:
		return "application/json"
	case FormatCSV:
		return "text/csv; charset=utf-8"
	case FormatXLSX:
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "application/octet-stream"
}

// FileName is the name a download of a job's rows is saved under:
// trawl-job-<id>.<ext>.
func FileName(jobID int64, f Format) string {
	return "trawl-job-" + strconv.FormatInt(jobID, 10) + "." + string(f)
}

// Write writes rows to w in format f; columns are the scraper's declared
// columns, which JSON does not need.
func Write(w io.Writer, f Format, columns []string, rows Rows) error {
	switch f {
	case FormatJSON:
		return WriteJSON(w, rows)
	case FormatCSV:
		return WriteCSV(w, columns, rows)
	case FormatXLSX:
		return WriteXLSX(w, columns, rows)
	}
	return fmt.Errorf("export: unknown format %q", string(f))
}
