package blob_test

import (
	"crypto/sha256"
	"io"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/blob"
	"github.com/callimport/callimport/internal/call"
)

// pattern is an endless, allocation-free stream of bytes that are not all
// alike (so that nothing downstream can compress them away).
type pattern struct{ x uint64 }

func (p *pattern) Read(b []byte) (int, error) {
	for i := range b {
		p.x = p.x*6364136223846793005 + 1442695040888963407
		b[i] = byte(p.x >> 56)
	}
	return len(b), nil
}

// heapPeak runs f while sampling the bytes of heap objects (live and not yet
// swept) and returns the peak above the level before f started.
func heapPeak(f func()) uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	runtime.GC()
	base := read()
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			peak = max(peak, read())
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	f()
	close(done)
	wg.Wait()
	peak = max(peak, read())
	if peak < base {
		return 0
	}
	return peak - base
}

// TestStreamMemory writes 64 MiB through NewWriter and checks that the heap
// stays bounded: under 4 MiB for a file bucket; for S3, about four 8 MiB
// part buffers, and no more for 64 MiB than for 24 MiB.
// Not parallel: it measures the process heap, so no other test may run
// meanwhile.
func TestStreamMemory(t *testing.T) {
	// A low GC target keeps garbage from hiding what is really retained.
	defer debug.SetGCPercent(debug.SetGCPercent(10))
	t.Run("file", func(t *testing.T) {
		b, _ := fileBackend.open(t)
		if peak := streamPeak(t, b, 64<<20); peak > 4<<20 {
			t.Errorf("heap grew by %.1f MiB, want at most 4 MiB", mib(peak))
		}
	})
	t.Run("s3", func(t *testing.T) {
		b, _ := s3Backend.open(t)
		small := streamPeak(t, b, 24<<20)
		big := streamPeak(t, b, 64<<20)
		limit := uint64(44 << 20)
		if raceEnabled {
			limit = 80 << 20
		}
		if big > limit || big > small+8<<20 {
			t.Errorf("heap grew by %.1f MiB for 64 MiB and %.1f MiB for 24 MiB, want at most %.0f MiB and no growth with size", mib(big), mib(small), mib(limit))
		}
	})
}

func mib(n uint64) float64 { return float64(n) / (1 << 20) }

// streamPeak streams size bytes into a new object, checks them by reading
// them back, and returns the heap peak during the write.
func streamPeak(t *testing.T, b *blob.Bucket, size int64) uint64 {
	t.Helper()
	key := blob.CallKey(call.NewID(), "campaign", call.NewID())
	src := sha256.New()
	peak := heapPeak(func() {
		w, err := b.NewWriter(t.Context(), key)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = w.Abort() }()
		buf := make([]byte, 64<<10)
		if _, err := io.CopyBuffer(w, io.TeeReader(io.LimitReader(&pattern{}, size), src), buf); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("heap peak %.1f MiB while streaming %d MiB", mib(peak), size>>20)

	r, err := b.NewRangeReader(t.Context(), key, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = r.Close() }()
	dst := sha256.New()
	n, err := io.Copy(dst, r)
	if err != nil {
		t.Fatal(err)
	}
	if n != size || string(dst.Sum(nil)) != string(src.Sum(nil)) {
		t.Errorf("read back %d bytes with a different hash, want %d identical bytes", n, size)
	}
	if err := b.Delete(t.Context(), key); err != nil {
		t.Error(err)
	}
	return peak
}
