package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"
)

// loadConn is one kept-alive HTTP/1.1 connection of the load generator.
// It writes requests encoded once, before the load starts, in a single
// write each, and reads the answers with net/http's own response parser
// on the sending goroutine. net/http's client moves every request through
// two more goroutines per connection and builds its headers anew each
// time; on two shared cores that cost more CPU than the server's answer
// to /healthz, and the load generator then measured itself as much as
// the server.
type loadConn struct {
	addr string
	conn net.Conn
	r    *bufio.Reader
}

// loadTimeout bounds one request of the load, dial included.
const loadTimeout = 30 * time.Second

// encodeLoadRequests encodes one request per body (or one GET when there
// are no bodies) to the URL, as it goes on the wire. It also returns the
// host:port to dial.
func encodeLoadRequests(rawURL, key string, bodies []string) (addr string, reqs [][]byte, err error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", nil, fmt.Errorf("load: url %q: %w", rawURL, err)
	}
	if u.Scheme != "http" || u.Host == "" {
		return "", nil, fmt.Errorf("load: url %q: want http://host:port/path", rawURL)
	}
	addr = u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "80")
	}
	path := u.RequestURI()
	if len(bodies) == 0 {
		return addr, [][]byte{fmt.Appendf(nil, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", path, u.Host)}, nil
	}
	for _, b := range bodies {
		req := fmt.Appendf(nil, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n\r\n",
			path, u.Host, key, len(b))
		reqs = append(reqs, append(req, b...))
	}
	return addr, reqs, nil
}

// do sends one encoded request and reads the answer's body into buf. It
// dials when the connection is not open, and drops the connection on any
// error or when the server asks to close it, so the next request dials
// afresh.
func (c *loadConn) do(req []byte, buf *bytes.Buffer) (status int, err error) {
	if err := c.open(); err != nil {
		return 0, err
	}
	status, keep, err := c.roundTrip(req, buf)
	if err != nil || !keep {
		c.close()
	}
	return status, err
}

// open dials the connection unless it is open.
func (c *loadConn) open() error {
	if c.conn != nil {
		return nil
	}
	conn, err := net.DialTimeout("tcp", c.addr, loadTimeout)
	if err != nil {
		return err
	}
	c.conn = conn
	if c.r == nil {
		c.r = bufio.NewReaderSize(conn, 64<<10)
	} else {
		c.r.Reset(conn)
	}
	return nil
}

func (c *loadConn) roundTrip(req []byte, buf *bytes.Buffer) (status int, keep bool, err error) {
	if err := c.conn.SetDeadline(time.Now().Add(loadTimeout)); err != nil {
		return 0, false, err
	}
	if _, err := c.conn.Write(req); err != nil {
		return 0, false, err
	}
	resp, err := http.ReadResponse(c.r, nil)
	if err != nil {
		return 0, false, err
	}
	buf.Reset()
	_, err = io.Copy(buf, resp.Body)
	resp.Body.Close()
	if err != nil {
		return 0, false, fmt.Errorf("load: reading the answer: %w", err)
	}
	return resp.StatusCode, !resp.Close, nil
}

func (c *loadConn) close() {
	if c.conn != nil {
		c.conn.Close()
		c.conn = nil
	}
}
