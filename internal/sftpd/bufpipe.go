package sftpd

import (
	"errors"
	"io"
	"sync"
)

// pipeBuffer is how many bytes an upload's pipe holds ahead of ingest. It
// covers the start of a file, while ingest checks the format and creates
// the intake row and the blob file (about a millisecond, a quarter of a
// megabyte at full speed), so that the client's writes are not held up.
// The memory is per running upload, so bounded by the admission limits.
const pipeBuffer = 512 << 10

// bufPipe is io.Pipe with a bounded buffer: Write returns once its bytes
// are buffered, and waits only while the buffer is full. The reader's
// refusal (CloseRead) is returned to later writes, and the bytes it never
// read stay available to unread, so that a refused file can still be kept
// whole. It is safe for one writer and one reader at a time.
type bufPipe struct {
	pool  *sync.Pool // of *[]byte rings of size max
	mu    sync.Mutex
	cond  sync.Cond
	buf   []byte // ring of size max, taken from pool on the first write
	max   int
	start int // first unread byte in buf
	n     int // bytes buffered
	nread int64
	werr  error // set by CloseWrite: io.EOF, or the writer's error
	rerr  error // set by CloseRead
}

// newRingPool returns the pool of rings shared by a server's pipes.
func newRingPool(size int) *sync.Pool {
	return &sync.Pool{New: func() any { b := make([]byte, size); return &b }}
}

// newBufPipe returns a pipe whose ring of size bytes comes from pool
// (newRingPool(size)) and goes back to it on release.
func newBufPipe(pool *sync.Pool, size int) *bufPipe {
	p := &bufPipe{pool: pool, max: size}
	p.cond.L = &p.mu
	return p
}

// release gives the ring back to the pool once neither end will use it:
// later writes and reads fail.
func (p *bufPipe) release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.werr == nil {
		p.werr = io.ErrClosedPipe
	}
	if p.rerr == nil {
		p.rerr = io.ErrClosedPipe
	}
	if p.buf != nil {
		b := p.buf
		p.buf, p.n = nil, 0
		p.pool.Put(&b)
	}
	p.cond.Broadcast()
}

// Write buffers b, waiting while the buffer is full. It returns the bytes
// accepted and the reader's error once the reader has closed.
func (p *bufPipe) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	written := 0
	for len(b) > 0 {
		for p.n == p.max && p.rerr == nil && p.werr == nil {
			p.cond.Wait()
		}
		switch {
		case p.rerr != nil:
			return written, p.rerr
		case p.werr != nil:
			return written, io.ErrClosedPipe
		case p.buf == nil:
			p.buf = *p.pool.Get().(*[]byte) //nolint:forcetypeassert // the pool holds only rings
		}
		end := (p.start + p.n) % p.max
		k := copy(p.buf[end:min(p.max, end+p.max-p.n)], b)
		p.n += k
		written += k
		b = b[k:]
		p.cond.Broadcast()
	}
	return written, nil
}

// Read returns buffered bytes, waiting for some. Once the writer has
// closed it returns the rest, then io.EOF; a writer's error is returned at
// once.
func (p *bufPipe) Read(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		switch {
		case p.rerr != nil:
			return 0, io.ErrClosedPipe
		case p.werr != nil && !errors.Is(p.werr, io.EOF):
			return 0, p.werr
		case p.n > 0:
			k := copy(b, p.buf[p.start:min(p.max, p.start+p.n)])
			p.start = (p.start + k) % p.max
			p.n -= k
			p.nread += int64(k)
			p.cond.Broadcast()
			return k, nil
		case p.werr != nil:
			return 0, io.EOF
		case len(b) == 0:
			return 0, nil
		}
		p.cond.Wait()
	}
}

// CloseWrite ends the stream: the reader gets the bytes buffered, then
// io.EOF; with a non-nil err it gets err at once.
func (p *bufPipe) CloseWrite(err error) {
	if err == nil {
		err = io.EOF
	}
	p.mu.Lock()
	if p.werr == nil {
		p.werr = err
	}
	p.cond.Broadcast()
	p.mu.Unlock()
}

// CloseRead refuses further writes with err (non-nil); the bytes not read
// stay for unread.
func (p *bufPipe) CloseRead(err error) {
	p.mu.Lock()
	if p.rerr == nil {
		p.rerr = err
	}
	p.cond.Broadcast()
	p.mu.Unlock()
}

// unread returns how many bytes the reader took and a copy of the bytes
// still buffered, in order.
func (p *bufPipe) unread() (int64, []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]byte, 0, p.n)
	if p.n > 0 {
		first := min(p.max, p.start+p.n)
		out = append(out, p.buf[p.start:first]...)
		out = append(out, p.buf[:p.n-(first-p.start)]...)
	}
	return p.nread, out
}
