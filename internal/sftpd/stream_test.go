package sftpd

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
)

// writeShuffled writes data in chunks of size at most chunk, in an order
// shuffled within windows of win chunks, some chunks twice.
func writeShuffled(t testing.TB, w *orderedWriter, data []byte, chunk, win int, seed uint64) error {
	t.Helper()
	type piece struct{ off, end int }
	var ps []piece
	for off := 0; off < len(data); off += chunk {
		ps = append(ps, piece{off, min(off+chunk, len(data))})
	}
	r := rand.New(rand.NewPCG(seed, seed^0x9e37))
	for i := 0; i < len(ps); i += win {
		j := min(i+win, len(ps))
		r.Shuffle(j-i, func(a, b int) { ps[i+a], ps[i+b] = ps[i+b], ps[i+a] })
	}
	for i, p := range ps {
		if _, err := w.WriteAt(data[p.off:p.end], int64(p.off)); err != nil {
			return err
		}
		if i%7 == 0 { // a resent chunk changes nothing
			if _, err := w.WriteAt(data[p.off:p.end], int64(p.off)); err != nil {
				return err
			}
		}
	}
	return nil
}

func TestOrderedWriter(t *testing.T) {
	t.Parallel()
	data := make([]byte, 1<<20+123)
	for i := range data {
		data[i] = byte(i * 7)
	}
	var out bytes.Buffer
	w := newOrderedWriter(&out, 64<<10)
	if err := writeShuffled(t, w, data, 4096, 8, 1); err != nil {
		t.Fatal(err)
	}
	if n, err := w.Finish(); err != nil || n != int64(len(data)) {
		t.Fatalf("Finish = %d, %v", n, err)
	}
	if !bytes.Equal(out.Bytes(), data) {
		t.Fatal("output differs from the input")
	}

	w = newOrderedWriter(&out, 8<<10)
	if _, err := w.WriteAt(make([]byte, 4096), 4096); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Finish(); !errors.Is(err, errHole) {
		t.Fatalf("Finish with a gap = %v, want errHole", err)
	}
	if _, err := w.WriteAt(make([]byte, 8192), 16384); !errors.Is(err, errTooFarAhead) {
		t.Fatalf("overflow = %v, want errTooFarAhead", err)
	}
}

// FuzzOrderedWriter checks that any chunking and shuffling of a stream
// comes out in order, or fails with the buffer bound.
func FuzzOrderedWriter(f *testing.F) {
	f.Add([]byte("hello, ordered world"), uint8(3), uint8(4), uint64(1))
	f.Add(bytes.Repeat([]byte{1, 2, 3}, 1000), uint8(17), uint8(9), uint64(7))
	f.Fuzz(func(t *testing.T, data []byte, chunk, win uint8, seed uint64) {
		var out bytes.Buffer
		w := newOrderedWriter(&out, 1024)
		if seed%2 == 1 {
			w.chunks = newChunkPool() // the copies are recycled
		}
		err := writeShuffled(t, w, data, int(chunk)+1, int(win)+1, seed)
		if errors.Is(err, errTooFarAhead) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Finish(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), data) {
			t.Fatal("output differs from the input")
		}
	})
}
