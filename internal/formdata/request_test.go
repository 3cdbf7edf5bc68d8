package formdata

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/callimport/callimport/internal/testenv"
)

func TestFromRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ct   string
		want error
	}{
		{"", ErrNotMultipart},
		{"text/plain", ErrNotMultipart},
		{"multipart/mixed; boundary=x", ErrNotMultipart},
		{"multipart/form-data; boundary=\"x", ErrNotMultipart},
		{"multipart/form-data", ErrMissingBoundary},
		{"multipart/form-data; charset=utf-8", ErrMissingBoundary},
		{"multipart/form-data; boundary=\"\"", ErrMissingBoundary},
		{"multipart/form-data; boundary=" + strings.Repeat("x", MaxBoundaryLen+1), ErrInvalidBoundary},
		{"Multipart/Form-Data; boundary=\"b c\"", nil},
	}
	for _, tt := range tests {
		req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/", strings.NewReader("--b c\r\n\r\n\r\n--b c--"))
		if tt.ct != "" {
			req.Header.Set("Content-Type", tt.ct)
		}
		mr, err := FromRequest(req, Config{})
		if !errors.Is(err, tt.want) {
			t.Errorf("%q: got %v, want %v", tt.ct, err, tt.want)
		}
		if err == nil {
			if _, err := mr.NextPart(); err != nil {
				t.Errorf("%q: NextPart: %v", tt.ct, err)
			}
		}
	}
}

// upload is what the test handler saw of one request.
type upload struct {
	ct     string
	raw    []byte
	parts  []result
	fileSH [sha256.Size]byte
	err    error
}

// captureServer parses each request with FromRequest (the file part by
// io.Copy into SHA-256, the others with ReadField) and keeps the raw body.
func captureServer(t *testing.T) (*httptest.Server, <-chan upload) {
	t.Helper()
	pool := NewBufferPool(0)
	ch := make(chan upload, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var u upload
		defer func() { ch <- u }()
		var raw bytes.Buffer
		req.Body = io.NopCloser(io.TeeReader(req.Body, &raw))
		u.ct = req.Header.Get("Content-Type")
		mr, err := FromRequest(req, Config{Buffers: pool})
		if err != nil {
			u.err = err
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		defer mr.Close()
		for {
			p, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				u.err = err
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			res := result{Name: p.FormName(), File: p.FileName(), Header: p.Header}
			if p.FileName() != "" {
				h := sha256.New()
				var n int64
				n, err = io.Copy(h, p)
				copy(u.fileSH[:], h.Sum(nil))
				res.Body = fmt.Sprintf("%d bytes", n)
			} else {
				res.Body, err = p.ReadField(64 << 10)
			}
			u.parts = append(u.parts, res)
			if err != nil {
				u.err = err
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
		}
		u.raw = raw.Bytes()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	return srv, ch
}

// TestCurl uploads with the real curl -F, as the API documents it, with a
// file name holding a quote, a semicolon and non-ASCII, and a file bigger
// than the buffer that holds near-boundaries.
func TestCurl(t *testing.T) {
	t.Parallel()
	curl := testenv.Tool(t, "curl")
	srv, uploads := captureServer(t)

	dir := t.TempDir()
	data := make([]byte, 600<<10)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	for i := 0; i+64 < len(data); i += 40 << 10 {
		copy(data[i:], "\r\n--------------------------\r\n--\r\n")
	}
	path := filepath.Join(dir, "call.wav")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	const name = "we\"ird; name é.wav"
	tests := []struct {
		name     string
		args     []string
		wantFile string
	}{
		// curl ≥ 7.81 escapes a quote as %22 (as browsers do) unless
		// --form-escape asks for backslashes.
		{"percent escapes", nil, "we%22ird; name é.wav"},
		{"backslash escapes", []string{"--form-escape"}, name},
	}
	for _, tt := range tests {
		args := append([]string{"-sS", "--fail", "-o", os.DevNull}, tt.args...)
		args = append(args,
			"-F", `file=@`+path+`;filename="`+strings.ReplaceAll(name, `"`, `\"`)+`";type=audio/wav`,
			"-F", "campaign_id=42",
			// -F would cut the value at ';': --form-string sends it as is.
			"--form-string", `metadata={"direction":"inbound","note":"a;b"}`,
			srv.URL)
		out, err := exec.CommandContext(t.Context(), curl, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: curl: %v\n%s", tt.name, err, out)
		}
		u := <-uploads
		if u.err != nil {
			t.Fatalf("%s: %v", tt.name, u.err)
		}
		if len(u.parts) != 3 {
			t.Fatalf("%s: parts %v", tt.name, u.parts)
		}
		if p := u.parts[0]; p.Name != "file" || p.File != tt.wantFile || p.Header.Get("Content-Type") != "audio/wav" ||
			p.Body != fmt.Sprintf("%d bytes", len(data)) || u.fileSH != sha256.Sum256(data) {
			t.Errorf("%s: file part %v (sha256 match %v)", tt.name, p, u.fileSH == sha256.Sum256(data))
		}
		if p := u.parts[1]; p.Name != "campaign_id" || p.Body != "42" {
			t.Errorf("%s: field %v", tt.name, p)
		}
		if p := u.parts[2]; p.Name != "metadata" || p.Body != `{"direction":"inbound","note":"a;b"}` {
			t.Errorf("%s: field %v", tt.name, p)
		}
		// mime/multipart reads the same raw body the same way.
		_, b, _ := strings.Cut(u.ct, "boundary=")
		got, err := parse(bytes.NewReader(u.raw), b, Config{}, modeCopy)
		std, stdErr := parseStdlib(u.raw, b)
		if err != nil || stdErr != nil || !sameResults(baseNames(got), std, modeCopy) {
			t.Errorf("%s: differs from mime/multipart: %v %v", tt.name, err, stdErr)
		}
	}
}

// TestCurlFixture reads a body that curl 7.88.1 sent (testdata/curl.*).
func TestCurlFixture(t *testing.T) {
	t.Parallel()
	body, err := os.ReadFile("testdata/curl.body")
	if err != nil {
		t.Fatal(err)
	}
	ct, err := os.ReadFile("testdata/curl.content-type")
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/", bytes.NewReader(body))
	req.Header.Set("Content-Type", string(ct))
	mr, err := FromRequest(req, Config{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		v, err := p.ReadField(1 << 10)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s|%s|%q", p.FormName(), p.FileName(), v))
	}
	want := []string{
		`file|we%22ird; name é.wav|"RIFF$\x00\x00\x00WAVEfmt \r\n--\r\n"`,
		`campaign_id||"42"`,
		`agent_id||"agent-0017"`,
		`metadata||"{\"direction\":\"inbound\"}"`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
