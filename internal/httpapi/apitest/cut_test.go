package apitest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// cutUpload returns a raw case: a client that announces a whole upload,
// sends part of it and closes the connection once the server is storing
// the file (a temporary file exists) or, with afterFile, once the file is
// staged and the server is reading a later field. The server must then
// store nothing.
func cutUpload(afterFile bool) func(t *testing.T, f *badFixture) {
	return func(t *testing.T, f *badFixture) {
		h := f.h
		before := blobFiles(t, h.DataDir)
		body := form(f.campaign(), filePart("cut.wav", wav(70, 12000)), field("agent_email", "john.doe@example.com"))
		var sent []byte
		if afterFile {
			i := bytes.Index(body, []byte("john.doe"))
			sent = body[:i+4]
		} else {
			i := bytes.Index(body, []byte("RIFF"))
			sent = body[:i+8000]
		}
		u, err := url.Parse(h.URL)
		if err != nil {
			t.Fatal(err)
		}
		var d net.Dialer
		conn, err := d.DialContext(t.Context(), "tcp", u.Host)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = conn.Close() }()
		_, _ = fmt.Fprintf(conn, "POST /v1/calls/audio HTTP/1.1\r\nHost: %s\r\nX-Api-Key: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n",
			u.Host, h.A.WriteKey, formType, len(body))
		if _, err := conn.Write(sent); err != nil {
			t.Fatal(err)
		}
		// Wait until the server holds something of this upload, so that
		// the test proves a clean-up rather than an upload never started.
		deadline := time.Now().Add(5 * time.Second)
		for {
			files := blobFiles(t, h.DataDir)
			if slices.ContainsFunc(files, func(p string) bool {
				if afterFile {
					return strings.HasPrefix(p, "calls/") && !slices.Contains(before, p)
				}
				return strings.HasPrefix(p, ".tmp/")
			}) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the server stored nothing of the partial upload within 5s (afterFile=%v): %q", afterFile, files)
			}
			time.Sleep(5 * time.Millisecond)
		}
		if err := conn.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// decode unmarshals a JSON body.
func decode(t *testing.T, body []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
}
