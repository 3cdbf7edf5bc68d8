package sftpd

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// TestBufPipe streams more bytes than the buffer through it in odd sizes,
// so that the ring wraps, and checks order and the end of stream.
func TestBufPipe(t *testing.T) {
	t.Parallel()
	p := newBufPipe(newRingPool(1000), 1000)
	want := make([]byte, 10_000)
	for i := range want {
		want[i] = byte(i * 7)
	}
	go func() {
		for rest := want; len(rest) > 0; {
			k := min(len(rest), 333)
			if _, err := p.Write(rest[:k]); err != nil {
				t.Error(err)
				return
			}
			rest = rest[k:]
		}
		p.CloseWrite(nil)
	}()
	var got bytes.Buffer
	buf := make([]byte, 257)
	for {
		n, err := p.Read(buf)
		got.Write(buf[:n])
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("read %d bytes, not the %d written in order", got.Len(), len(want))
	}
}

// TestBufPipeRefusal: after the reader refuses, writes fail with its error
// and the bytes it did not read are returned by unread, in order.
func TestBufPipeRefusal(t *testing.T) {
	t.Parallel()
	p := newBufPipe(newRingPool(10), 10)
	_, _ = p.Write([]byte("abcdefgh"))
	b := make([]byte, 6)
	if n, _ := p.Read(b); n != 6 {
		t.Fatalf("read %d bytes", n)
	}
	_, _ = p.Write([]byte("ijklmn")) // wraps the ring
	refused := errors.New("refused")
	p.CloseRead(refused)
	if _, err := p.Write([]byte("x")); !errors.Is(err, refused) {
		t.Fatalf("write after refusal: %v", err)
	}
	n, rest := p.unread()
	if n != 6 || string(rest) != "ghijklmn" {
		t.Fatalf("unread = %d, %q", n, rest)
	}
	p.release()
	if _, err := p.Write([]byte("x")); err == nil {
		t.Fatal("write after release succeeded")
	}
}
