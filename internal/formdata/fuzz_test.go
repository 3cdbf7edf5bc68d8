package formdata

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"mime/multipart"
	"os"
	"strings"
	"testing"
)

// fuzzSeeds are bodies with boundary "b", besides testdata and the bodies
// written by mime/multipart.
var fuzzSeeds = []string{
	"--b\r\n" + cd + "\"a\"\r\n\r\nhello\r\n--b--\r\n",
	"pre\r\n--b \t\r\n" + cd + "\"a\"\r\n\r\n\r\n--b\r\n\r\n--bX\r\n--b-x\r\n\r\n--b-- \r\nepi",
	"--b\r\n" + cd + "\"f\"; filename*=UTF-8''na%C3%AFve.wav\r\n\r\nRIFF\r\n\r\n--b--",
	"--b\n" + cd + "\"a\"\n\nx\n--b--\n",
	"--b\r\n\r\nx\r\n--b junk\r\n",
	"--b--",
}

// FuzzReader compares Reader with mime/multipart (NextRawPart) on the same
// input. Where mime/multipart accepts the body, Reader must give the same
// parts (names, file base names, headers, bodies) unless it rejects on
// purpose (a limit, a bare-LF boundary line). Where Reader accepts, cutting
// the body anywhere before the end of its closing delimiter must fail with
// io.ErrUnexpectedEOF.
func FuzzReader(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s), "b", uint8(0))
	}
	if body, err := os.ReadFile("testdata/curl.body"); err == nil {
		ct, _ := os.ReadFile("testdata/curl.content-type")
		_, b, _ := strings.Cut(string(ct), "boundary=")
		f.Add(body, b, uint8(5))
	}
	var w bytes.Buffer
	mw := multipart.NewWriter(&w)
	_ = mw.WriteField("campaign_id", "42")
	fw, _ := mw.CreateFormFile("file", "call.wav")
	_, _ = fw.Write([]byte("RIFF\r\n--" + mw.Boundary()[:10] + "\r\n"))
	_ = mw.Close()
	f.Add(w.Bytes(), mw.Boundary(), uint8(2))

	big := NewBufferPool(0)
	small := NewBufferPool(64 + slack)
	f.Fuzz(func(t *testing.T, body []byte, boundary string, mode uint8) {
		if !validBoundary(boundary) {
			if _, err := NewReader(bytes.NewReader(body), boundary, Config{}).NextPart(); !errors.Is(err, ErrInvalidBoundary) {
				t.Fatalf("invalid boundary %q: got %v", boundary, err)
			}
			return
		}
		sm, rm := srcMode(mode%4), readMode(mode/4%4)
		cfg := Config{Buffers: big, MaxParts: 1 << 20, MaxHeaderBytes: DefaultMaxHeaderBytes}
		if mode&16 != 0 {
			cfg = Config{Buffers: small, MaxParts: 1 << 20, MaxHeaderBytes: 64}
		}
		got, err := parse(source(body, sm), boundary, cfg, rm)
		std, stdErr := parseStdlib(body, boundary)
		switch {
		case stdErr == nil && err == nil:
			if !sameResults(baseNames(got), std, rm) {
				t.Fatalf("parts differ:\n got %v\nwant %v", got, std)
			}
		case stdErr == nil && !isExcluded(err):
			t.Fatalf("mime/multipart accepts, Reader fails: %v\nparts %v", err, std)
		case err == nil && !errors.Is(stdErr, bufio.ErrBufferFull):
			t.Fatalf("Reader accepts what mime/multipart rejects (%v): %v", stdErr, got)
		}
		if err == nil {
			checkTruncations(t, body, boundary, cfg)
		}
	})
}

// checkTruncations cuts a valid body before the end of its closing
// delimiter, at a few places, and expects io.ErrUnexpectedEOF.
func checkTruncations(t *testing.T, body []byte, boundary string, cfg Config) {
	t.Helper()
	mr := NewReader(bytes.NewReader(body), boundary, cfg)
	for {
		if _, err := mr.NextPart(); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatalf("second parse: %v", err)
			}
			break
		}
	}
	// mr.base is the end of the closing delimiter line; drop its optional
	// CRLF and padding, which a cut may lose without harm.
	end := bytes.TrimRight(bytes.TrimSuffix(body[:mr.base], []byte("\r\n")), " \t")
	if !bytes.HasSuffix(end, []byte("--"+boundary+"--")) {
		t.Fatalf("body consumed up to %d does not end with the closing delimiter: %q", mr.base, end)
	}
	n := len(end)
	for _, cut := range []int{n - 1, n - 2, n - len(boundary) - 3, n * 2 / 3, n / 2, 0} {
		if cut < 0 || cut >= n {
			continue
		}
		_, err := parse(bytes.NewReader(body[:cut]), boundary, cfg, modeCopy)
		if !errors.Is(err, io.ErrUnexpectedEOF) && !isExcluded(err) {
			t.Fatalf("cut at %d of %d: got %v, want io.ErrUnexpectedEOF", cut, n, err)
		}
	}
}
