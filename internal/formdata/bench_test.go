package formdata

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"
)

// cpuMeter reports, besides the wall-clock MB/s of b.SetBytes, "cpuMB/s":
// bytes per CPU second of the whole process (all goroutines, GC included),
// which other load on a shared machine disturbs much less.
type cpuMeter struct {
	b     *testing.B
	start time.Duration
	bytes int64
}

func meterCPU(b *testing.B, bytesPerOp int64) *cpuMeter {
	b.SetBytes(bytesPerOp)
	return &cpuMeter{b: b, start: cpuTime(), bytes: bytesPerOp}
}

func (m *cpuMeter) done() {
	if d := cpuTime() - m.start; d > 0 {
		m.b.ReportMetric(float64(m.bytes)*float64(m.b.N)/d.Seconds()/1e6, "cpuMB/s")
	}
}

// benchFileSize is the size of the file part of the benchmark bodies.
const benchFileSize = 64 << 20

// benchBody returns a body shaped like `curl -F file=@… -F campaign_id=…`:
// three small fields and a 64 MiB file of random bytes, and its boundary.
func benchBody(b *testing.B) ([]byte, string) {
	b.Helper()
	data := make([]byte, benchFileSize)
	_, _ = rand.NewChaCha8([32]byte{1}).Read(data)
	var buf bytes.Buffer
	buf.Grow(benchFileSize + 4096)
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("campaign_id", "42")
	_ = mw.WriteField("agent_id", "agent-0017")
	_ = mw.WriteField("metadata", `{"direction":"inbound"}`)
	fw, err := mw.CreateFormFile("file", "call.wav")
	if err != nil {
		b.Fatal(err)
	}
	_, _ = fw.Write(data)
	if err := mw.Close(); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes(), mw.Boundary()
}

type sink struct {
	name string
	new  func() io.Writer
}

// sinks are where the benchmarks write the file part.
func sinks() []sink {
	return []sink{
		{"discard", func() io.Writer { return io.Discard }},
		{"sha256", func() io.Writer { return sha256.New() }},
	}
}

// benchSources feed a body to the parsers: "mem" from memory, "tcp" over
// a loopback TCP connection written in 256 KiB pieces, where every Read is
// a system call, as in a server.
func benchSources(b *testing.B, body []byte) []struct {
	name string
	open func() io.Reader
} {
	return []struct {
		name string
		open func() io.Reader
	}{
		{"mem", func() io.Reader { return bytes.NewReader(body) }},
		{"tcp", func() io.Reader { return tcpSource(b, body) }},
	}
}

// tcpSource returns the reading end of a loopback TCP connection on which
// a goroutine writes body, then closes. The connection is closed when b
// ends.
func tcpSource(b *testing.B, body []byte) io.Reader {
	b.Helper()
	ln, err := (&net.ListenConfig{}).Listen(b.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	go func() {
		c, err := (&net.Dialer{}).DialContext(b.Context(), "tcp", ln.Addr().String())
		if err != nil {
			return // Accept fails too
		}
		defer func() { _ = c.Close() }()
		for off := 0; off < len(body); off += 256 << 10 {
			if _, err := c.Write(body[off:min(off+256<<10, len(body))]); err != nil {
				return
			}
		}
	}()
	c, err := ln.Accept()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.Close() })
	return c
}

// BenchmarkReader parses the body with Reader, the file part by io.Copy
// (so Part.WriteTo) into io.Discard or SHA-256.
func BenchmarkReader(b *testing.B) {
	body, boundary := benchBody(b)
	pool := NewBufferPool(0)
	for _, src := range benchSources(b, body) {
		for _, sink := range sinks() {
			b.Run(src.name+"/"+sink.name, func(b *testing.B) {
				m := meterCPU(b, int64(len(body)))
				defer m.done()
				for b.Loop() {
					mr := NewReader(src.open(), boundary, Config{Buffers: pool})
					err := eachPart(mr.NextPart, func(p *Part) error {
						if p.FileName() == "" {
							_, err := p.ReadField(64 << 10)
							return err
						}
						_, err := io.Copy(sink.new(), p)
						return err
					})
					if err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkStdlibMultipart is the baseline: mime/multipart, the file part
// copied through a 256 KiB buffer, as the perf-anchors server does.
func BenchmarkStdlibMultipart(b *testing.B) {
	body, boundary := benchBody(b)
	buf := make([]byte, DefaultBufferSize)
	for _, src := range benchSources(b, body) {
		for _, sink := range sinks() {
			b.Run(src.name+"/"+sink.name, func(b *testing.B) {
				m := meterCPU(b, int64(len(body)))
				defer m.done()
				for b.Loop() {
					mr := multipart.NewReader(src.open(), boundary)
					err := eachPart(mr.NextPart, func(p *multipart.Part) error {
						if p.FileName() == "" {
							_, err := io.ReadAll(io.LimitReader(p, 64<<10))
							return err
						}
						_, err := io.CopyBuffer(struct{ io.Writer }{sink.new()}, p, buf)
						return err
					})
					if err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkUploadHTTP posts the body over loopback HTTP to a handler that
// stores the file part in a file with SHA-256 and fsync: "raw" posts only
// the file bytes (the perf-anchors baseline), "formdata" parses with
// Reader, "stdlib" with mime/multipart and a 256 KiB bufio.Writer on the
// file (its best variant in perf-anchors §2).
func BenchmarkUploadHTTP(b *testing.B) {
	body, boundary := benchBody(b)
	dir := b.TempDir()
	pool := NewBufferPool(0)
	copyBufs := NewBufferPool(DefaultBufferSize)
	store := func(src io.Reader, viaReadFrom bool) error {
		f, err := os.CreateTemp(dir, "up")
		if err != nil {
			return err
		}
		defer func() { _ = os.Remove(f.Name()) }()
		defer func() { _ = f.Close() }()
		h := sha256.New()
		var dst io.Writer
		var bw *bufio.Writer
		if viaReadFrom {
			dst = io.MultiWriter(f, h)
		} else {
			bw = bufio.NewWriterSize(f, 256<<10)
			dst = io.MultiWriter(bw, h)
		}
		bp := copyBufs.get()
		defer copyBufs.put(bp)
		if viaReadFrom {
			_, err = io.Copy(dst, src) // src is a *Part: WriteTo
		} else {
			_, err = io.CopyBuffer(struct{ io.Writer }{dst}, src, *bp)
		}
		if err == nil && bw != nil {
			err = bw.Flush()
		}
		if err == nil {
			err = f.Sync()
		}
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /raw", func(w http.ResponseWriter, r *http.Request) {
		httpResult(w, store(r.Body, false))
	})
	mux.HandleFunc("POST /formdata", func(w http.ResponseWriter, r *http.Request) {
		mr, err := FromRequest(r, Config{Buffers: pool})
		if err != nil {
			httpResult(w, err)
			return
		}
		defer mr.Close()
		httpResult(w, eachPart(mr.NextPart, func(p *Part) error {
			if p.FormName() == "file" {
				return store(p, true)
			}
			_, err := p.ReadField(64 << 10)
			return err
		}))
	})
	mux.HandleFunc("POST /stdlib", func(w http.ResponseWriter, r *http.Request) {
		mr, err := r.MultipartReader()
		if err != nil {
			httpResult(w, err)
			return
		}
		httpResult(w, eachPart(mr.NextPart, func(p *multipart.Part) error {
			if p.FormName() == "file" {
				return store(p, false)
			}
			_, err := io.ReadAll(io.LimitReader(p, 64<<10))
			return err
		}))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	// The file bytes: the body ends with them, "\r\n--", boundary, "--\r\n".
	raw := body[len(body)-len(boundary)-8-benchFileSize : len(body)-len(boundary)-8]
	for _, v := range []struct {
		path string
		body []byte
		ct   string
	}{
		{"raw", raw, "application/octet-stream"},
		{"formdata", body, "multipart/form-data; boundary=" + boundary},
		{"stdlib", body, "multipart/form-data; boundary=" + boundary},
	} {
		b.Run(v.path, func(b *testing.B) {
			m := meterCPU(b, benchFileSize)
			defer m.done()
			for b.Loop() {
				req, err := http.NewRequestWithContext(b.Context(), http.MethodPost, srv.URL+"/"+v.path, bytes.NewReader(v.body))
				if err != nil {
					b.Fatal(err)
				}
				req.Header.Set("Content-Type", v.ct)
				resp, err := srv.Client().Do(req)
				if err != nil {
					b.Fatal(err)
				}
				msg, _ := io.ReadAll(resp.Body)
				_ = resp.Body.Close()
				if resp.StatusCode != http.StatusNoContent {
					b.Fatalf("%s: %s", resp.Status, msg)
				}
			}
		})
	}
}

func eachPart[P any](next func() (P, error), fn func(P) error) error {
	for {
		p, err := next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(p); err != nil {
			return err
		}
	}
}

func httpResult(w http.ResponseWriter, err error) {
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
