package audio

import (
	"bytes"
	"encoding/binary"
	"math"
	"strings"
	"testing"
)

func mp4U16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
func mp4U32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
func mp4U64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// mp4Box builds an MP4 box with a 32-bit size.
func mp4Box(typ string, parts ...[]byte) []byte {
	body := psCat(parts...)
	return psCat(mp4U32(uint32(8+len(body))), []byte(typ), body)
}

// mp4FullBox builds a box with a version and flags.
func mp4FullBox(typ string, version byte, flags uint32, parts ...[]byte) []byte {
	return mp4Box(typ, append([]byte{version, byte(flags >> 16), byte(flags >> 8), byte(flags)}, psCat(parts...)...))
}

// mp4TestEsds describes AAC LC (object type 2) at 8 kHz, mono.
func mp4TestEsds() []byte {
	asc := []byte{5, 2, 0x15, 0x88}
	dcd := psCat([]byte{4, byte(13 + len(asc)), 0x40, 0x15, 0, 0, 0}, mp4U32(32000), mp4U32(24000), asc)
	es := psCat([]byte{3, byte(3 + len(dcd) + 3), 0, 1, 0}, dcd, []byte{6, 1, 2})
	return mp4FullBox("esds", 0, 0, es)
}

// mp4TestEntry is an audio sample entry of type typ: mono, 8 kHz.
func mp4TestEntry(typ string, children ...[]byte) []byte {
	return mp4Box(typ, make([]byte, 6), mp4U16(1), make([]byte, 8), mp4U16(1), mp4U16(16), mp4U16(0), mp4U16(0), mp4U32(8000<<16), psCat(children...))
}

// mp4TestMoov is a moov with one track of handler hdlr and sample entry
// entry: mdhd 8000 Hz × mdhdDur, 8 samples of 100 bytes; extra boxes go
// into moov (mvex) and trak (edts).
func mp4TestMoov(hdlr string, entry []byte, mdhdDur uint32, trakExtra, moovExtra []byte) []byte {
	stsz := mp4FullBox("stsz", 0, 0, mp4U32(0), mp4U32(8), bytes.Repeat(mp4U32(100), 8))
	return mp4Box("moov",
		mp4FullBox("mvhd", 0, 0, mp4U32(0), mp4U32(0), mp4U32(1000), mp4U32(mdhdDur/8), make([]byte, 80)),
		mp4Box("trak",
			mp4FullBox("tkhd", 0, 3, mp4U32(0), mp4U32(0), mp4U32(1), make([]byte, 68)),
			trakExtra,
			mp4Box("mdia",
				mp4FullBox("mdhd", 0, 0, mp4U32(0), mp4U32(0), mp4U32(8000), mp4U32(mdhdDur), mp4U32(0)),
				mp4FullBox("hdlr", 0, 0, mp4U32(0), []byte(hdlr), make([]byte, 13)),
				mp4Box("minf", mp4Box("stbl", mp4FullBox("stsd", 0, 0, mp4U32(1), entry), stsz)))),
		moovExtra)
}

// mp4TestNested returns n boxes of type typ nested in one another.
func mp4TestNested(typ string, n int) []byte {
	b := mp4Box("free")
	for range n {
		b = mp4Box(typ, b)
	}
	return b
}

func TestMP4HandMade(t *testing.T) {
	t.Parallel()
	ftyp := mp4Box("ftyp", []byte("M4A "), mp4U32(0), []byte("isomM4A "))
	aac := mp4TestEntry("mp4a", mp4TestEsds())
	moov := mp4TestMoov("soun", aac, 8000, nil, nil)
	mdat := mp4Box("mdat", make([]byte, 800))
	elst := mp4Box("edts", mp4FullBox("elst", 0, 0, mp4U32(2), mp4U32(100), mp4U32(0xFFFFFFFF), mp4U32(1<<16), mp4U32(900), mp4U32(1024), mp4U32(1<<16)))
	mvex := mp4Box("mvex", mp4FullBox("trex", 0, 0, mp4U32(1), mp4U32(1), mp4U32(1024), mp4U32(100), mp4U32(0)))
	frag := mp4Box("moof", mp4FullBox("mfhd", 0, 0, mp4U32(1)), mp4Box("traf", mp4FullBox("tfhd", 0, 0x20000, mp4U32(1)), mp4FullBox("trun", 0, 0, mp4U32(8))))
	big := psCat(mp4U32(1), []byte("mdat"), mp4U64(16+800), make([]byte, 800))
	tests := []struct {
		name   string
		in     []byte
		size   int64 // announced size; 0: the length of in
		dur    float64
		reject string
	}{
		{name: "faststart", in: psCat(ftyp, moov, mdat), dur: 1},
		{name: "moov at the end", in: psCat(ftyp, mdat, mp4Box("free"), moov), dur: 1},
		{name: "faststart, junk after mdat is not read", in: psCat(ftyp, moov, mdat, []byte("junk!")), dur: 1},
		{name: "edit list", in: psCat(ftyp, mp4TestMoov("soun", aac, 8000, elst, nil), mdat), dur: 0.9},
		{name: "64-bit mdat size", in: psCat(ftyp, big, moov), dur: 1},
		{name: "mdat to the end of the file", in: psCat(ftyp, moov, mp4U32(0), []byte("mdat"), make([]byte, 800)), dur: 1},
		{name: "fragmented", in: psCat(ftyp, mp4TestMoov("soun", aac, 0, nil, mvex), frag, mdat, frag, mdat), dur: 2 * 8 * 1024 / 8000.0},
		{name: "esds inside a QuickTime wave box", in: psCat(ftyp, mp4TestMoov("soun", mp4TestEntry("mp4a", mp4Box("wave", mp4Box("frma", []byte("mp4a")), mp4TestEsds())), 8000, nil, nil), mdat), dur: 1},
		{name: "many empty boxes", in: psCat(ftyp, bytes.Repeat(mp4Box("free"), 100000), moov, mdat), dur: 1},
		{name: "deeply nested boxes are skipped whole", in: psCat(ftyp, mp4Box("moov", moov[8:], mp4TestNested("trak", 1000)), mdat), dur: 1},
		{name: "moov to the end of the file", in: psCat(ftyp, mdat, mp4U32(0), moov[4:]), dur: 1},
		{name: "no moov", in: psCat(ftyp, mdat), reject: "no moov box"},
		{name: "video only", in: psCat(ftyp, mp4TestMoov("vide", mp4Box("mp4v"), 8000, nil, nil), mdat), reject: "no audio track (track types: [vide])"},
		{name: "AMR", in: psCat(ftyp, mp4TestMoov("soun", mp4TestEntry("samr"), 8000, nil, nil), mdat), reject: "codec AMR-NB is not supported"},
		{name: "unknown sample entry", in: psCat(ftyp, mp4TestMoov("soun", mp4TestEntry("zzzz"), 8000, nil, nil), mdat), reject: `codec "zzzz"`},
		{name: "mdat claims 1 TiB", in: psCat(ftyp, moov, mp4U32(1), []byte("mdat"), mp4U64(1<<40), make([]byte, 100)), reject: "truncated: the mdat box declares 1.0 TiB"},
		{name: "moov over 64 MiB", in: psCat(ftyp, mp4U32(100<<20), []byte("moov")), size: 1 << 40, reject: "moov box) is 100.0 MiB"},
		{name: "box smaller than its header", in: psCat(ftyp, mp4U32(4), []byte("free"), moov), reject: "shorter than its header"},
		{name: "child overruns its parent", in: psCat(ftyp, mp4Box("moov", mp4U32(100), []byte("trak"))), reject: "overruns its parent"},
		{name: "cut inside moov", in: psCat(ftyp, moov[:len(moov)-10]), reject: "truncated"},
		{name: "empty", in: nil, reject: "no moov box"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			size := tc.size
			if size == 0 {
				size = int64(len(tc.in))
			}
			info, err := probeMP4(t.Context(), bytes.NewReader(tc.in), size)
			if tc.reject != "" {
				if r, ok := IsRejection(err); !ok || !strings.Contains(r.Reason, tc.reject) {
					t.Errorf("got %+v, %v; want a rejection with %q", info, err, tc.reject)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if info.Codec != "aac" || info.SampleRateHz != 8000 || info.Channels != 1 ||
				math.Abs(info.DurationSeconds-tc.dur) > 1e-9 || info.Format != "mp4" || info.BitRate <= 0 {
				t.Errorf("got %+v, want aac 8000 Hz mono %.3f s", info, tc.dur)
			}
		})
	}
}

func TestMP4AudioSpecificConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		asc      []byte
		aot      int
		rate, ch int
	}{
		{"AAC LC 44.1 kHz stereo", []byte{0x12, 0x10}, 2, 44100, 2},
		{"HE-AAC: SBR doubles 22.05 kHz", []byte{0x2B, 0x92, 0x08, 0x00}, 5, 44100, 2},
		{"HE-AAC v2: PS makes mono stereo", []byte{0xEB, 0x8A, 0x08, 0x00}, 29, 44100, 2},
		{"explicit rate", []byte{0x17, 0x80, 0x0F, 0xA0, 0x08}, 2, 8000, 1},
	}
	for _, tc := range tests {
		a := parseMP4ASC(tc.asc)
		if !a.ok || a.aot != tc.aot || a.rate != tc.rate || a.channels != tc.ch {
			t.Errorf("%s: %+v", tc.name, a)
		}
	}
	if a := parseMP4ASC([]byte{0x12}); a.ok {
		t.Errorf("short config accepted: %+v", a)
	}
}

func TestMP4Truncated(t *testing.T) {
	t.Parallel()
	fixtures := psFixtures(t, "mp4", ".m4a", ".mp4")
	for p, b := range psFixtures(t, "ok", ".m4a", ".mp4") {
		fixtures[p] = b
	}
	for path, b := range fixtures {
		for _, n := range psCutPoints(len(b)) {
			if info, err := psProbe(t, probeMP4, b[:n]); err == nil {
				t.Errorf("%s cut at %d of %d: %+v, want a rejection", path, n, len(b), info)
			} else if _, ok := IsRejection(err); !ok {
				t.Errorf("%s cut at %d: %v is not a rejection", path, n, err)
			}
		}
	}
}

// TestMP4ClaimWithoutSize feeds an mdat claiming 1 TiB when the caller
// does not know the size: it is read through, not allocated.
func TestMP4ClaimWithoutSize(t *testing.T) {
	// Not parallel: psAllocated counts the whole process.
	head := psCat(mp4Box("ftyp", []byte("M4A "), mp4U32(0)), mp4U32(1), []byte("mdat"), mp4U64(1<<40))
	var err error
	alloc := psAllocated(func() {
		_, err = probeMP4(t.Context(), &psClaimReader{head: head, n: 64 << 20}, 0)
	})
	if r, ok := IsRejection(err); !ok || !strings.Contains(r.Reason, "truncated") {
		t.Errorf("err = %v", err)
	}
	if alloc > 1<<20 {
		t.Errorf("allocated %d bytes", alloc)
	}
}

func FuzzMP4(f *testing.F) {
	psFuzzSeeds(f, []string{"mp4", "ok"}, ".m4a", ".mp4")
	ftyp := mp4Box("ftyp", []byte("M4A "), mp4U32(0))
	aac := mp4TestEntry("mp4a", mp4TestEsds())
	psFuzzAdd(f, psCat(ftyp, mp4TestMoov("soun", aac, 8000, nil, nil), mp4Box("mdat", make([]byte, 16))))
	mvex := mp4Box("mvex", mp4FullBox("trex", 0, 0, mp4U32(1), mp4U32(1), mp4U32(1024), mp4U32(100), mp4U32(0)))
	frag := mp4Box("moof", mp4Box("traf", mp4FullBox("tfhd", 0, 0x20000, mp4U32(1)), mp4FullBox("trun", 0, 0x300, mp4U32(2), mp4U32(1024), mp4U32(10), mp4U32(1024), mp4U32(10))))
	psFuzzAdd(f, psCat(ftyp, mp4TestMoov("soun", aac, 0, nil, mvex), frag, mp4Box("mdat")))
	f.Fuzz(func(t *testing.T, b []byte, sizeUnknown bool) {
		psFuzzProbe(t, probeMP4, b, sizeUnknown)
	})
}

func BenchmarkProbeMP4MoovAtEnd(b *testing.B) {
	data := psBenchFile(b, "bench.m4a", append(psBenchSpeech("44100"), "-c:a", "aac", "-b:a", "64k")...)
	psBenchProbe(b, probeMP4, data)
}

func BenchmarkProbeMP4Faststart(b *testing.B) {
	data := psBenchFile(b, "bench.m4a", append(psBenchSpeech("44100"), "-c:a", "aac", "-b:a", "64k", "-movflags", "+faststart")...)
	psBenchProbe(b, probeMP4, data)
}
