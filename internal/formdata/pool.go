package formdata

import "sync"

// DefaultBufferSize is the default size of a Reader's buffer, and so the
// largest slice a Part hands to a writer.
const DefaultBufferSize = 256 << 10

// BufferPool recycles the read buffers of Readers, so a busy server does
// not allocate 256 KiB per request. Create one per server (not per request)
// and set it in [Config].Buffers. It is safe for concurrent use.
type BufferPool struct {
	size int
	pool sync.Pool // of *[]byte with len == size
}

// NewBufferPool returns a pool of buffers of size bytes (0 means
// [DefaultBufferSize]).
func NewBufferPool(size int) *BufferPool {
	if size <= 0 {
		size = DefaultBufferSize
	}
	return &BufferPool{size: size}
}

// Size returns the size of the pool's buffers.
func (p *BufferPool) Size() int { return p.size }

func (p *BufferPool) get() *[]byte {
	if b, ok := p.pool.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, p.size)
	return &b
}

func (p *BufferPool) put(b *[]byte) { p.pool.Put(b) }
