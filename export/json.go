package export

import (
	"bufio"
	"encoding/json"
	"io"
)

// WriteJSON writes rows to w as one JSON array of the row objects, one row
// per line, each byte for byte as stored. It holds one row at a time.
func WriteJSON(w io.Writer, rows Rows) error {
	ew := &errWriter{w: w}
	bw := bufio.NewWriterSize(ew, bufferSize)
	bw.WriteByte('[')
	n := 0
	err := rows(func(row json.RawMessage) error {
		if n > 0 {
			bw.WriteByte(',')
		}
		n++
		bw.WriteByte('\n')
		bw.Write(row)
		return ew.err // stop reading rows once the client is gone
	})
	if err != nil {
		return err
	}
	if n > 0 {
		bw.WriteByte('\n')
	}
	bw.WriteString("]\n")
	return bw.Flush()
}
