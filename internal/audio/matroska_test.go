package audio

import (
	"bytes"
	"encoding/binary"
	"math"
	"strings"
	"testing"
)

// ebmlTestID renders an element ID (marker included) in its bytes.
func ebmlTestID(id uint32) []byte {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], id)
	i := 0
	for i < 3 && b[i] == 0 {
		i++
	}
	return b[i:]
}

// mkvEl builds an element with an 8-byte size field.
func mkvEl(id uint32, parts ...[]byte) []byte {
	body := psCat(parts...)
	size := make([]byte, 8)
	binary.BigEndian.PutUint64(size, uint64(len(body)))
	size[0] = 0x01
	return psCat(ebmlTestID(id), size, body)
}

// mkvElUnknown builds an element of unknown size.
func mkvElUnknown(id uint32, parts ...[]byte) []byte {
	return psCat(ebmlTestID(id), []byte{1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, psCat(parts...))
}

func mkvElUint(id uint32, v uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	return mkvEl(id, b[:])
}

func mkvElFloat(id uint32, v float64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], math.Float64bits(v))
	return mkvEl(id, b[:])
}

func mkvElString(id uint32, s string) []byte { return mkvEl(id, []byte(s)) }

// mkvTestBlock is a SimpleBlock of track 1 at rel ms holding a 20 ms CELT
// Opus packet.
func mkvTestBlock(rel int16) []byte {
	b := []byte{0x81, 0, 0, 0x80, 0xF8, 1, 2, 3}
	binary.BigEndian.PutUint16(b[1:], uint16(rel))
	return mkvEl(mkvIDSimpleBlock, b)
}

func mkvTestHeader(docType string) []byte {
	return mkvEl(ebmlIDHeader, mkvElString(ebmlIDDocType, docType))
}

func mkvTestTracks(codec string, private []byte, rate float64, channels uint64) []byte {
	return mkvEl(mkvIDTracks, mkvEl(mkvIDTrackEntry,
		mkvElUint(mkvIDTrackNumber, 1), mkvElUint(mkvIDTrackType, 2), mkvElString(mkvIDCodecID, codec),
		mkvEl(mkvIDCodecPrivate, private),
		mkvEl(mkvIDAudio, mkvElFloat(mkvIDSamplingFreq, rate), mkvElUint(mkvIDChannels, channels))))
}

// mkvTestClusters returns two clusters of 25 blocks, 20 ms apart: 1 s.
func mkvTestClusters(unknown bool) []byte {
	var out []byte
	for c := range 2 {
		parts := [][]byte{mkvElUint(mkvIDTimecode, uint64(c*500))}
		for i := range 25 {
			parts = append(parts, mkvTestBlock(int16(i*20)))
		}
		if unknown {
			out = append(out, mkvElUnknown(mkvIDCluster, parts...)...)
		} else {
			out = append(out, mkvEl(mkvIDCluster, parts...)...)
		}
	}
	return out
}

func TestMatroskaHandMade(t *testing.T) {
	t.Parallel()
	info := mkvEl(mkvIDInfo, mkvElUint(mkvIDTimecodeScale, 1_000_000), mkvElFloat(mkvIDDuration, 1000))
	opusTracks := mkvTestTracks("A_OPUS", opusTestHead(2, 312), 48000, 2)
	vorbisPrivate := psCat([]byte{2, 30, 10}, vorbisTestHead(1, 8000), []byte("\x03vorbis..."), []byte("\x05vorbis setup"))
	group := mkvEl(mkvIDBlockGroup, mkvEl(mkvIDBlock, []byte{0x81, 0x01, 0xF4, 0, 1, 2}), mkvElUint(mkvIDBlockDuration, 480))
	tests := []struct {
		name     string
		in       []byte
		codec    string
		rate, ch int
		dur      float64
		reject   string
	}{
		{name: "duration in Info", in: psCat(mkvTestHeader("webm"), mkvEl(mkvIDSegment, info, opusTracks, mkvTestClusters(false))),
			codec: "opus", rate: 48000, ch: 2, dur: 1},
		{name: "live: unknown sizes, no duration", in: psCat(mkvTestHeader("webm"), mkvElUnknown(mkvIDSegment,
			mkvEl(mkvIDInfo, mkvElUint(mkvIDTimecodeScale, 1_000_000)), opusTracks, mkvTestClusters(true))),
			codec: "opus", rate: 48000, ch: 2, dur: 1},
		{name: "known clusters in an unknown segment", in: psCat(mkvTestHeader("webm"), mkvElUnknown(mkvIDSegment, opusTracks, mkvTestClusters(false))),
			codec: "opus", rate: 48000, ch: 2, dur: 1},
		{name: "block group with a duration", in: psCat(mkvTestHeader("matroska"), mkvEl(mkvIDSegment,
			mkvTestTracks("A_VORBIS", vorbisPrivate, 0, 0), mkvEl(mkvIDCluster, mkvElUint(mkvIDTimecode, 0), group))),
			codec: "vorbis", rate: 8000, ch: 1, dur: 0.980},
		{name: "void elements of size 0", in: psCat(mkvTestHeader("webm"), bytes.Repeat([]byte{0xEC, 0x80}, 50000),
			mkvEl(mkvIDSegment, bytes.Repeat([]byte{0xEC, 0x80}, 50000), info, opusTracks, mkvTestClusters(false))),
			codec: "opus", rate: 48000, ch: 2, dur: 1},
		{name: "a second file after the first", in: psCat(mkvTestHeader("webm"), mkvElUnknown(mkvIDSegment, opusTracks, mkvTestClusters(true)),
			mkvTestHeader("webm"), mkvElUnknown(mkvIDSegment, opusTracks, mkvTestClusters(true))),
			codec: "opus", rate: 48000, ch: 2, dur: 1},
		{name: "doc type", in: psCat(mkvTestHeader("notwebm"), mkvEl(mkvIDSegment)), reject: `doc type is "notwebm"`},
		{name: "video only", in: psCat(mkvTestHeader("webm"), mkvEl(mkvIDSegment, mkvEl(mkvIDTracks, mkvEl(mkvIDTrackEntry,
			mkvElUint(mkvIDTrackNumber, 1), mkvElUint(mkvIDTrackType, 1), mkvElString(mkvIDCodecID, "V_VP8"))))),
			reject: "no audio track (tracks: V_VP8)"},
		{name: "AAC", in: psCat(mkvTestHeader("matroska"), mkvEl(mkvIDSegment, mkvTestTracks("A_AAC", nil, 44100, 2))),
			reject: "codec A_AAC is not supported"},
		{name: "no tracks", in: psCat(mkvTestHeader("webm"), mkvEl(mkvIDSegment, info)), reject: "no Tracks"},
		{name: "no segment", in: mkvTestHeader("webm"), reject: "no Segment"},
		{name: "no blocks", in: psCat(mkvTestHeader("webm"), mkvElUnknown(mkvIDSegment, opusTracks)), reject: "no audio blocks"},
		{name: "segment claims 1 TiB", in: psCat(mkvTestHeader("webm"), ebmlTestID(mkvIDSegment), []byte{0x01, 0, 0x01, 0, 0, 0, 0, 0}, info),
			reject: "truncated: the Segment element declares 1.0 TiB"},
		{name: "child overruns its parent", in: psCat(mkvTestHeader("webm"), mkvEl(mkvIDSegment, ebmlTestID(mkvIDInfo), []byte{0x84}, []byte{0xEC, 0x88})),
			reject: "overruns its parent"},
		{name: "unknown size on a leaf", in: psCat(mkvTestHeader("webm"), mkvElUnknown(mkvIDSegment, mkvElUnknown(mkvIDTracks))),
			reject: "Tracks has an unknown size"},
		{name: "invalid element ID", in: psCat(mkvTestHeader("webm"), mkvElUnknown(mkvIDSegment, make([]byte, 20))),
			reject: "invalid element header"},
		{name: "empty", in: nil, reject: "no Segment"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.reject != "" {
				if r := psWantReject(t, probeMatroska, tc.in); !strings.Contains(r, tc.reject) {
					t.Errorf("reason %q, want %q", r, tc.reject)
				}
				return
			}
			info := psMustProbe(t, probeMatroska, tc.in)
			if info.Codec != tc.codec || info.SampleRateHz != tc.rate || info.Channels != tc.ch ||
				math.Abs(info.DurationSeconds-tc.dur) > 1e-9 || info.Format != "webm" {
				t.Errorf("got %+v, want %s %d Hz %d ch %.3f s", info, tc.codec, tc.rate, tc.ch, tc.dur)
			}
		})
	}
}

// TestMatroskaDeepNesting nests 2,000 clusters in one another (only
// Segment > Cluster is entered, the rest is skipped whole) and 1,000
// Segments of unknown size (each ends where the next begins).
func TestMatroskaDeepNesting(t *testing.T) {
	t.Parallel()
	inner := mkvTestClusters(false)
	for range 2000 {
		inner = mkvEl(mkvIDCluster, inner)
	}
	in := psCat(mkvTestHeader("webm"), mkvEl(mkvIDSegment, mkvTestTracks("A_OPUS", nil, 48000, 1), inner))
	if r := psWantReject(t, probeMatroska, in); !strings.Contains(r, "no audio blocks") {
		t.Errorf("reason %q", r)
	}
	deep := mkvElUnknown(mkvIDSegment)
	for range 1000 {
		deep = psCat(ebmlTestID(mkvIDSegment), []byte{1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, deep)
	}
	if r := psWantReject(t, probeMatroska, psCat(mkvTestHeader("webm"), deep)); !strings.Contains(r, "no Tracks") {
		t.Errorf("reason %q", r)
	}
}

func TestMatroskaTruncated(t *testing.T) {
	t.Parallel()
	fixtures := psFixtures(t, "webm", ".webm", ".mka")
	for p, b := range psFixtures(t, "ok", ".webm", ".mka") {
		fixtures[p] = b
	}
	for path, b := range fixtures {
		for _, n := range psCutPoints(len(b)) {
			if info, err := psProbe(t, probeMatroska, b[:n]); err == nil {
				t.Errorf("%s cut at %d of %d: %+v, want a rejection", path, n, len(b), info)
			} else if _, ok := IsRejection(err); !ok {
				t.Errorf("%s cut at %d: %v is not a rejection", path, n, err)
			}
		}
	}
}

// TestMatroskaClaimWithoutSize feeds an element claiming 1 TiB when the
// caller does not know the size: it is read through, not allocated.
func TestMatroskaClaimWithoutSize(t *testing.T) {
	// Not parallel: psAllocated counts the whole process.
	head := psCat(mkvTestHeader("webm"), mkvElUnknown(mkvIDSegment, ebmlTestID(0x1254C367), []byte{0x01, 0, 0x01, 0, 0, 0, 0, 0}))
	var err error
	alloc := psAllocated(func() {
		_, err = probeMatroska(t.Context(), &psClaimReader{head: head, n: 64 << 20}, 0)
	})
	if r, ok := IsRejection(err); !ok || !strings.Contains(r.Reason, "truncated") {
		t.Errorf("err = %v", err)
	}
	if alloc > 1<<20 {
		t.Errorf("allocated %d bytes", alloc)
	}
}

func FuzzMatroska(f *testing.F) {
	psFuzzSeeds(f, []string{"webm", "ok"}, ".webm", ".mka")
	opusTracks := mkvTestTracks("A_OPUS", opusTestHead(1, 312), 48000, 1)
	psFuzzAdd(f, psCat(mkvTestHeader("webm"), mkvElUnknown(mkvIDSegment, opusTracks, mkvTestClusters(true))))
	psFuzzAdd(f, psCat(mkvTestHeader("webm"), mkvEl(mkvIDSegment, mkvEl(mkvIDInfo, mkvElFloat(mkvIDDuration, 5)), opusTracks, mkvTestClusters(false))))
	f.Fuzz(func(t *testing.T, b []byte, sizeUnknown bool) {
		psFuzzProbe(t, probeMatroska, b, sizeUnknown)
	})
}

func BenchmarkProbeWebMLive(b *testing.B) {
	data := psBenchFile(b, "bench.webm", append(psBenchSpeech("48000"), "-c:a", "libopus", "-b:a", "64k", "-f", "webm", "-live", "1")...)
	psBenchProbe(b, probeMatroska, data)
}
