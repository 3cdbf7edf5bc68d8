package sftppull_test

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/callimport/callimport/internal/ingest"
	"github.com/callimport/callimport/internal/source/sftppull"
)

// proxy forwards 127.0.0.1:port to a target; cut drops the listener and
// every connection, as a server going away would.
type proxy struct {
	mu     sync.Mutex
	ln     net.Listener
	conns  []net.Conn
	target string
	wg     sync.WaitGroup
}

func startProxy(t *testing.T, addr, target string) *proxy {
	t.Helper()
	var lc net.ListenConfig
	ln, err := lc.Listen(t.Context(), "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target}
	p.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			var d net.Dialer
			up, err := d.DialContext(context.WithoutCancel(t.Context()), "tcp", target)
			if err != nil {
				_ = c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			p.wg.Go(func() { _, _ = io.Copy(up, c); _ = up.Close() })
			p.wg.Go(func() { _, _ = io.Copy(c, up); _ = c.Close() })
		}
	})
	t.Cleanup(p.cut)
	return p
}

func (p *proxy) cut() {
	_ = p.ln.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.conns = nil
	p.mu.Unlock()
	p.wg.Wait()
}

// cutAfter is the intake, cutting the proxy after n imports.
type cutAfter struct {
	in sftppull.Ingester
	mu sync.Mutex
	n  int
	p  *proxy
}

func (c *cutAfter) Ingest(ctx context.Context, req ingest.Request) (ingest.Result, error) {
	res, err := c.in.Ingest(ctx, req)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n--; c.n == 0 {
		c.p.cut()
	}
	return res, err
}

// TestServerGoesAway cuts the connection mid-run, after two imports (the
// second one's delete then fails), and runs again once the server is back:
// every file ends as exactly one call and the folder is emptied.
func TestServerGoesAway(t *testing.T) {
	t.Parallel()
	h := setup(t)
	names := []string{"pcm_s16le_8k_mono.wav", "pcm_alaw_8k_mono.wav", "pcm_mulaw_8k_mono.wav", "gsm_ms_8k_mono.wav", "adpcm_ima_wav_8k_mono.wav"}
	var shas []string
	for i, n := range names {
		shas = append(shas, h.put(t, "wav/"+n, "o/"+strconv.Itoa(i)+".wav"))
	}
	p := startProxy(t, "127.0.0.1:0", "127.0.0.1:"+strconv.Itoa(h.sshd.Port))
	addr := p.ln.Addr().String()
	src := h.source(t, filepath.Join(h.sshd.Remote, "o"), "delete")
	_, port, _ := net.SplitHostPort(addr)
	src.Port, _ = strconv.Atoi(port)
	r := *h.runner
	r.Concurrency = 1
	r.Ingest = &cutAfter{in: h.env.Server.Ingest, n: 2, p: p}
	rep, err := r.Run(t.Context(), src)
	if err == nil && len(rep.Errors) == 0 {
		t.Fatalf("no failure after the cut: %+v", rep)
	}
	if rep.Imported != 2 {
		t.Fatalf("first run = %+v, %v", rep, err)
	}
	t.Logf("first run: %+v, %v", rep, err)

	startProxy(t, addr, "127.0.0.1:"+strconv.Itoa(h.sshd.Port))
	rep, err = h.runner.Run(t.Context(), src)
	if err != nil || rep.Imported != 3 || rep.Duplicates != 1 || len(rep.Errors) != 0 {
		t.Fatalf("second run = %+v, %v", rep, err)
	}
	for _, sha := range shas {
		if _, err := h.call(t, sha); err != nil {
			t.Errorf("call %s: %v", sha, err)
		}
	}
	left, err := os.ReadDir(filepath.Join(h.sshd.Remote, "o"))
	if err != nil || len(left) != 0 {
		t.Errorf("left on the server: %v, %v", left, err)
	}
}
