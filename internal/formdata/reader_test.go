package formdata

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/textproto"
	"strings"
	"testing"
	"testing/iotest"
)

const cd = "Content-Disposition: form-data; name="

func field(name string) textproto.MIMEHeader {
	return textproto.MIMEHeader{"Content-Disposition": {"form-data; name=\"" + name + "\""}}
}

func TestValidBodies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want []result
	}{
		{"one field", "--b\r\n" + cd + "\"a\"\r\n\r\nhello\r\n--b--\r\n",
			[]result{{Name: "a", Header: field("a"), Body: "hello"}}},
		{"preamble and epilogue", "ignored\r\n--bX not a boundary\r\n\r\n--b\r\n" + cd + "\"a\"\r\n\r\nx\r\n--b--\r\nepilogue\r\n--b\r\njunk",
			[]result{{Name: "a", Header: field("a"), Body: "x"}}},
		{"preamble boundary after bare LF", "pre\n--b\r\n" + cd + "\"a\"\r\n\r\nx\r\n--b--",
			[]result{{Name: "a", Header: field("a"), Body: "x"}}},
		{"transport padding", "--b \t\r\n" + cd + "\"a\"\r\n\r\nx\r\n--b\t \r\n" + cd + "\"c\"\r\n\r\ny\r\n--b-- \t\r\n",
			[]result{{Name: "a", Header: field("a"), Body: "x"}, {Name: "c", Header: field("c"), Body: "y"}}},
		{"closing without CRLF", "--b\r\n" + cd + "\"a\"\r\n\r\nx\r\n--b--",
			[]result{{Name: "a", Header: field("a"), Body: "x"}}},
		{"closing with padding and no CRLF", "--b\r\n" + cd + "\"a\"\r\n\r\nx\r\n--b--  ",
			[]result{{Name: "a", Header: field("a"), Body: "x"}}},
		{"empty body", "--b\r\n" + cd + "\"a\"\r\n\r\n\r\n--b--\r\n",
			[]result{{Name: "a", Header: field("a")}}},
		{"empty body, delimiter without CRLF", "--b\r\n" + cd + "\"a\"\r\n\r\n--b\r\n" + cd + "\"c\"\r\n\r\n--b--",
			[]result{{Name: "a", Header: field("a")}, {Name: "c", Header: field("c")}}},
		{"no header", "--b\r\n\r\nx\r\n--b--\r\n", []result{{Body: "x"}}},
		{"zero parts", "--b--\r\n", nil},
		{"zero parts, no CRLF", "pre\r\n--b--", nil},
		{"near misses in body", "--b\r\n\r\n--bX\r\n--b-x\r\n-\r\n--\r\n--c\r\r\n--b--\r\n",
			[]result{{Body: "--bX\r\n--b-x\r\n-\r\n--\r\n--c\r"}}},
		{"boundary text inside a line", "--b\r\nA: 1\r\n\r\nx--b--\r\n\n--b\r\n--b--",
			[]result{{Header: textproto.MIMEHeader{"A": {"1"}}, Body: "x--b--\r\n\n--b"}}},
		{"body is all CRLF", "--b\r\n\r\n\r\n\r\n\r\n\r\n--b--",
			[]result{{Body: "\r\n\r\n\r\n"}}},
		{"canonical header keys, folded line", "--b\r\ncontent-disposition: form-data; name=x\r\nx-long: a\r\n b\r\n\r\n1\r\n--b--",
			[]result{{Name: "x", Header: textproto.MIMEHeader{"Content-Disposition": {"form-data; name=x"}, "X-Long": {"a b"}}, Body: "1"}}},
		{"file name escaped with backslash", "--b\r\n" + cd + "\"f\"; filename=\"we\\\"ird; na\\\\me \xc3\xa9.wav\"\r\n\r\nRIFF\r\n--b--",
			[]result{{Name: "f", File: "we\"ird; na\\me \u00e9.wav", Header: textproto.MIMEHeader{"Content-Disposition": {"form-data; name=\"f\"; filename=\"we\\\"ird; na\\\\me \xc3\xa9.wav\""}}, Body: "RIFF"}}},
		{"file name RFC 2231", "--b\r\n" + cd + "\"f\"; filename=\"fallback.wav\"; filename*=UTF-8''na%C3%AFve%2F.wav\r\n\r\n\r\n--b--",
			[]result{{Name: "f", File: "na\u00efve/.wav", Header: textproto.MIMEHeader{"Content-Disposition": {"form-data; name=\"f\"; filename=\"fallback.wav\"; filename*=UTF-8''na%C3%AFve%2F.wav"}}}}},
		{"hostile file name kept", "--b\r\n" + cd + "\"f\"; filename=\"../../etc/passwd\"\r\n\r\n\r\n--b--",
			[]result{{Name: "f", File: "../../etc/passwd", Header: textproto.MIMEHeader{"Content-Disposition": {"form-data; name=\"f\"; filename=\"../../etc/passwd\""}}}}},
		{"not form-data", "--b\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\n\r\n--b--",
			[]result{{Header: textproto.MIMEHeader{"Content-Disposition": {"attachment; name=\"a\""}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for sm := range numSrcModes {
				for mode := range numModes {
					got, err := parse(source([]byte(tt.body), sm), "b", Config{}, mode)
					if err != nil {
						t.Fatalf("src %d mode %d: %v", sm, mode, err)
					}
					if !sameResults(got, tt.want, mode) {
						t.Fatalf("src %d mode %d:\n got %v\nwant %v", sm, mode, got, tt.want)
					}
				}
			}
			// The oracle agrees (it reduces file names to base names).
			std, err := parseStdlib([]byte(tt.body), "b")
			if err != nil || !sameResults(std, baseNames(tt.want), modeCopy) {
				t.Errorf("mime/multipart: %v, %v", std, err)
			}
		})
	}
}

func TestInvalidBodies(t *testing.T) {
	t.Parallel()
	var (
		truncated = io.ErrUnexpectedEOF
		format    = &FormatError{}
		limit     = &LimitError{}
	)
	start := "--b\r\n" + cd + "\"a\"\r\n\r\n"
	tests := []struct {
		name string
		body string
		cfg  Config
		want error // io.ErrUnexpectedEOF, or an error of the same type
		msg  string
	}{
		{"empty", "", Config{}, truncated, ""},
		{"no boundary", "hello\r\nworld\r\n", Config{}, truncated, ""},
		{"cut in header", "--b\r\n" + cd + "\"a\"\r\n", Config{}, truncated, ""},
		{"cut in body", start + "data", Config{}, truncated, ""},
		{"cut in body after CR", start + "data\r", Config{}, truncated, ""},
		{"cut after delimiter", start + "data\r\n--b", Config{}, truncated, ""},
		{"cut after delimiter dash", start + "data\r\n--b-", Config{}, truncated, ""},
		{"cut in padding", start + "data\r\n--b  ", Config{}, truncated, ""},
		{"cut in CRLF", start + "data\r\n--b\r", Config{}, truncated, ""},
		{"cut before next header", start + "data\r\n--b\r\n", Config{}, truncated, ""},
		{"cut in closing CRLF", start + "data\r\n--b--\r", Config{}, truncated, ""},
		{"junk after boundary", start + "x\r\n--b junk\r\n", Config{}, format, msgAfterBound},
		{"CR junk after boundary", start + "x\r\n--b\rjunk\r\n", Config{}, format, msgAfterBound},
		{"junk after closing", start + "x\r\n--b--junk", Config{}, format, msgAfterBound},
		{"bare LF after boundary", start + "x\r\n--b\n", Config{}, format, msgBareLF},
		{"bare LF after closing", start + "x\r\n--b--\n", Config{}, format, msgBareLF},
		{"bare LF first boundary", "--b\n" + cd + "\"a\"\n\nx\n--b--\n", Config{}, format, msgBareLF},
		{"header initial space", "--b\r\n bad\r\n\r\nx\r\n--b--", Config{}, format, msgHeader},
		{"header without colon", "--b\r\nbad\r\n\r\nx\r\n--b--", Config{}, format, msgHeader},
		{"header too large", "--b\r\nX: " + strings.Repeat("a", 100) + "\r\n\r\nx\r\n--b--", Config{MaxHeaderBytes: 64}, limit, "part header"},
		{"header too large, no end", "--b\r\nX: " + strings.Repeat("a", 10000), Config{MaxHeaderBytes: 64}, limit, "part header"},
		{"preamble too large", strings.Repeat("p", 100) + "\r\n--b\r\n\r\nx\r\n--b--", Config{MaxHeaderBytes: 64}, limit, "preamble"},
		{"too many parts", "--b\r\n\r\n1\r\n--b\r\n\r\n2\r\n--b\r\n\r\n3\r\n--b--", Config{MaxParts: 2}, limit, "parts"},
		{"padding too long", start + "x\r\n--b" + strings.Repeat(" ", maxPadding+1) + "\r\n--b--", Config{}, limit, "transport padding"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for sm := range numSrcModes {
				for mode := range numModes {
					_, err := parse(source([]byte(tt.body), sm), "b", tt.cfg, mode)
					checkErr(t, fmt.Sprintf("src %d mode %d", sm, mode), err, tt.want, tt.msg)
				}
			}
		})
	}
}

func checkErr(t *testing.T, where string, err, want error, msg string) {
	t.Helper()
	var fe *FormatError
	var le *LimitError
	switch {
	case errors.As(want, &fe):
		if !errors.As(err, &fe) || fe.Msg != msg {
			t.Fatalf("%s: got %v, want FormatError %q", where, err, msg)
		}
	case errors.As(want, &le):
		if !errors.As(err, &le) || le.What != msg {
			t.Fatalf("%s: got %v, want LimitError %q", where, err, msg)
		}
	case !errors.Is(err, want):
		t.Fatalf("%s: got %v, want %v", where, err, want)
	}
}

// TestEveryTruncationFails cuts a valid body at every byte before the end
// of its closing delimiter: each cut must fail, never look complete.
func TestEveryTruncationFails(t *testing.T) {
	t.Parallel()
	body := "pre\r\n--b \r\n" + cd + "\"a\"\r\n\r\n\r\n--b\r\n" + cd + "\"f\"; filename=\"x.wav\"\r\n\r\nRI\r\nFF\r\n--b\r\n\r\n--b--"
	if _, err := parse(bytes.NewReader([]byte(body)), "b", Config{}, modeCopy); err != nil {
		t.Fatal(err)
	}
	for cut := range len(body) {
		for mode := range numModes {
			_, err := parse(bytes.NewReader([]byte(body[:cut])), "b", Config{}, mode)
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("cut at %d (%q), mode %d: got %v, want io.ErrUnexpectedEOF", cut, body[:cut], mode, err)
			}
		}
	}
}

func TestSourceError(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	body := "--b\r\n" + cd + "\"a\"\r\n\r\ndata"
	for mode := range numModes {
		src := io.MultiReader(strings.NewReader(body), iotest.ErrReader(boom))
		_, err := parse(src, "b", Config{}, mode)
		if !errors.Is(err, boom) {
			t.Fatalf("mode %d: got %v, want boom", mode, err)
		}
	}
}

func TestInvalidBoundary(t *testing.T) {
	t.Parallel()
	for _, b := range []string{"", "a\r\nb", "a\x00", strings.Repeat("x", MaxBoundaryLen+1)} {
		mr := NewReader(strings.NewReader("--"+b+"\r\n\r\n\r\n--"+b+"--"), b, Config{})
		if _, err := mr.NextPart(); !errors.Is(err, ErrInvalidBoundary) {
			t.Errorf("boundary %q: got %v", b, err)
		}
	}
}

func TestReadField(t *testing.T) {
	t.Parallel()
	body := "--b\r\n" + cd + "\"a\"\r\n\r\n12345\r\n--b\r\n" + cd + "\"c\"\r\n\r\n123456\r\n--b--"
	mr := NewReader(strings.NewReader(body), "b", Config{})
	p, err := mr.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	if v, err := p.ReadField(5); err != nil || v != "12345" {
		t.Fatalf("ReadField(5) = %q, %v", v, err)
	}
	p, err = mr.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	var le *LimitError
	if _, err := p.ReadField(5); !errors.As(err, &le) || le.What != `field "c"` || le.Max != 5 {
		t.Fatalf("ReadField over max: %v", err)
	}
	// The rest of the field is skipped and the body still ends cleanly.
	if _, err := mr.NextPart(); !errors.Is(err, io.EOF) {
		t.Fatalf("NextPart after over-long field: %v", err)
	}
}

// chunkReader returns at most n bytes per Read, like a slow socket.
type chunkReader struct {
	r io.Reader
	n int
}

func (c chunkReader) Read(p []byte) (int, error) { return c.r.Read(p[:min(len(p), c.n)]) }

// sizeWriter records the size of each Write.
type sizeWriter struct{ sizes []int }

func (w *sizeWriter) Write(p []byte) (int, error) {
	w.sizes = append(w.sizes, len(p))
	return len(p), nil
}

// TestWriteToChunks checks that io.Copy of a part hands big slices to the
// writer even when the body arrives in 16 KiB reads.
func TestWriteToChunks(t *testing.T) {
	t.Parallel()
	data := bytes.Repeat([]byte("0123456789abcdef\r\n-"), 2<<20/19)
	body := "--b\r\n" + cd + "\"f\"; filename=\"x\"\r\n\r\n" + string(data) + "\r\n--b--\r\n"
	mr := NewReader(chunkReader{strings.NewReader(body), 16 << 10}, "b", Config{})
	p, err := mr.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	var w sizeWriter
	n, err := io.Copy(&w, p)
	if err != nil || n != int64(len(data)) {
		t.Fatalf("copied %d of %d: %v", n, len(data), err)
	}
	for i, s := range w.sizes {
		if s > DefaultBufferSize || s < DefaultBufferSize/2 && i < len(w.sizes)-1 {
			t.Fatalf("write %d of %d has %d bytes: sizes %v", i, len(w.sizes), s, w.sizes)
		}
	}
	if _, err := mr.NextPart(); !errors.Is(err, io.EOF) {
		t.Fatalf("NextPart: %v", err)
	}
}

func TestBufferPoolAndClose(t *testing.T) {
	t.Parallel()
	pool := NewBufferPool(1 << 10) // too small for the default header limit: not used
	if mr := NewReader(strings.NewReader(""), "b", Config{Buffers: pool}); mr.bufp != nil || len(mr.buf) < DefaultMaxHeaderBytes {
		t.Fatalf("small pool buffer used: %d bytes", len(mr.buf))
	}
	pool = NewBufferPool(0)
	body := "--b\r\n\r\n1\r\n--b\r\n\r\n2\r\n--b--"
	mr := NewReader(strings.NewReader(body), "b", Config{Buffers: pool})
	if mr.bufp == nil {
		t.Fatal("pool buffer not used")
	}
	for {
		if _, err := mr.NextPart(); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if mr.buf != nil || mr.bufp != nil {
		t.Fatal("buffer not given back at io.EOF")
	}
	// Close in the middle of a part.
	mr = NewReader(strings.NewReader(body), "b", Config{Buffers: pool})
	p, err := mr.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	mr.Close()
	mr.Close()
	if _, err := p.Read(make([]byte, 1)); !errors.Is(err, errClosed) {
		t.Fatalf("Read after Close: %v", err)
	}
	if _, err := mr.NextPart(); !errors.Is(err, errClosed) {
		t.Fatalf("NextPart after Close: %v", err)
	}
}

// TestLargeBodies compares with mime/multipart on bodies bigger than the
// buffer whose parts are full of near-delimiters, fed in odd-sized reads
// so that delimiters fall across every buffer edge.
func TestLargeBodies(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 11))
	const boundary = "------------------------16a8555e21b83f29"
	// Near-delimiters that no concatenation turns into a delimiter.
	near := []string{"\r", "\r\n", "\r\n-", "\r\n--", "\r\n--" + boundary[:20], "\r\n--" + boundary + "-x", "\r\n--" + boundary + "x"}
	for iter := range 4 {
		var body bytes.Buffer
		nparts := 1 + rng.IntN(4)
		for i := range nparts {
			fmt.Fprintf(&body, "--%s\r\n%s\"p%d\"; filename=\"f%d.wav\"\r\n\r\n", boundary, cd, i, i)
			for end := body.Len() + rng.IntN(400<<10); body.Len() < end; {
				if rng.IntN(3) == 0 {
					body.WriteString(near[rng.IntN(len(near))])
				} else {
					body.Write(bytes.Repeat([]byte{byte(rng.Uint32())}, 1+rng.IntN(4000)))
				}
			}
			body.WriteString("\r\n")
		}
		body.WriteString("--" + boundary + "--\r\n")
		std, err := parseStdlib(body.Bytes(), boundary)
		if err != nil {
			t.Fatalf("iter %d: mime/multipart: %.200v", iter, err)
		}
		for _, chunk := range []int{1 << 20, 4093, 65521} {
			for mode := range numModes {
				src := chunkReader{bytes.NewReader(body.Bytes()), chunk}
				got, err := parse(src, boundary, Config{BufferSize: 1}, mode)
				if err != nil || !sameResults(baseNames(got), std, mode) {
					t.Fatalf("iter %d chunk %d mode %d: %.200v (%d parts, want %d)", iter, chunk, mode, err, len(got), len(std))
				}
			}
		}
	}
}
