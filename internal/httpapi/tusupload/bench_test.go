package tusupload_test

import (
	"bytes"
	"encoding/binary"
	"net/http"
	"strconv"
	"testing"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/ingest"
)

// BenchmarkUpload compares a tus upload (POST, then one PATCH that
// answers once the call is committed) with the same bytes given straight
// to ingest.Service.Ingest, in the same process: the ratio is the cost of
// the protocol and of staging the bytes on disk before ingesting them.
func BenchmarkUpload(b *testing.B) {
	var seq uint64 // makes every upload a new call
	for _, size := range []int{1 << 20, 64 << 20} {
		name := strconv.Itoa(size>>20) + "MiB"
		data := wav(size-44, 12)
		b.Run("tus/"+name, func(b *testing.B) {
			e := setup(b, options{})
			c := e.client(b, e.A)
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				seq++
				binary.BigEndian.PutUint64(data[44:], seq)
				loc := c.mustCreate(meta(e.A), len(data))
				if r := c.patch(loc, 0, data); r.StatusCode != http.StatusNoContent || r.Header.Get("Upload-Call-Duplicate") != "" {
					b.Fatalf("PATCH: %d %v", r.StatusCode, r.Header)
				}
			}
		})
		b.Run("ingest/"+name, func(b *testing.B) {
			e := setup(b, options{})
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				seq++
				binary.BigEndian.PutUint64(data[44:], seq)
				res, err := e.Ingest.Ingest(b.Context(), ingest.Request{OrgID: e.A.org, Source: call.SourceAPI,
					Envelope: call.Envelope{CampaignID: e.A.campaign}, FileName: "a.wav", Body: bytes.NewReader(data)})
				if err != nil || res.Duplicate {
					b.Fatalf("ingest: %v %v", err, res.Duplicate)
				}
			}
		})
	}
}
