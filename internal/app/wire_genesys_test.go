package app

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/source/genesys/genesystest"
)

func TestGenesysSimulate(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	var out syncWriter
	done := make(chan error, 1)
	go func() {
		done <- genesysSimulate(ctx, "127.0.0.1:0", genesystest.Config{Seed: 3, Conversations: 5}, &out)
	}()
	for range 200 {
		if strings.Contains(out.String(), "client secret") {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil || !strings.Contains(out.String(), "http://127.0.0.1:") {
		t.Fatalf("%v: %s", err, out.String())
	}
}

type syncWriter struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}
