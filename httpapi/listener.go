package httpapi

import (
	"bytes"
	"net"
	"strconv"
)

// plainBadRequest is how net/http itself answers a request it cannot parse
// (a request target with a bad percent-escape, a malformed header), before
// any handler runs: one write, then it closes the connection.
var plainBadRequest = []byte("HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n")

// badRequestBody is trawl's error shape for that answer.
const badRequestBody = `{"message":"The request is malformed: check the percent-escapes of the path and query, and the headers."}` + "\n"

// Listener wraps ln so that the one answer net/http writes outside any
// handler, a 400 for a request it cannot parse, goes out as JSON in the same
// error shape as every other answer. Everything else passes through
// untouched. The server of New's handler should serve on it.
func Listener(ln net.Listener) net.Listener { return &jsonListener{ln} }

type jsonListener struct{ net.Listener }

func (l *jsonListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &jsonConn{Conn: c}, nil
}

// jsonConn rewrites net/http's own plain-text 400. Responses written for a
// handler always carry a Date header after the status line, so they never
// start like it.
type jsonConn struct{ net.Conn }

func (c *jsonConn) Write(p []byte) (int, error) {
	if !bytes.HasPrefix(p, plainBadRequest) {
		return c.Conn.Write(p)
	}
	answer := "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
		strconv.Itoa(len(badRequestBody)) + "\r\n\r\n" + badRequestBody
	if _, err := c.Conn.Write([]byte(answer)); err != nil {
		return 0, err
	}
	return len(p), nil
}
