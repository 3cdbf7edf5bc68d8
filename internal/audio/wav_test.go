package audio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/callimport/callimport/internal/call"
)

func TestProbeWAVFixtures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path     string
		codec    string
		rate     int
		channels int
		bits     int
		duration float64
		silent   bool
	}{
		{"wav/pcm_s16le_8k_mono.wav", "pcm_s16le", 8000, 1, 16, 3, false},
		{"wav/pcm_u8_8k_mono.wav", "pcm_u8", 8000, 1, 8, 3, false},
		{"wav/pcm_s24le_8k_mono.wav", "pcm_s24le", 8000, 1, 24, 3, false},
		{"wav/pcm_s32le_8k_mono.wav", "pcm_s32le", 8000, 1, 32, 3, false},
		{"wav/pcm_f32le_8k_mono.wav", "pcm_f32le", 8000, 1, 32, 3, false},
		{"wav/pcm_mulaw_8k_mono.wav", "pcm_mulaw", 8000, 1, 8, 3, false},
		{"wav/pcm_alaw_8k_mono.wav", "pcm_alaw", 8000, 1, 8, 3, false},
		{"wav/sox_pcm_mulaw_8k_mono.wav", "pcm_mulaw", 8000, 1, 8, 3, false},
		{"wav/gsm_ms_8k_mono.wav", "gsm_ms", 8000, 1, 0, 3, false},
		{"wav/adpcm_ima_wav_8k_mono.wav", "adpcm_ima_wav", 8000, 1, 4, 24492.0 / 8000, false},
		{"wav/pcm_s16le_8k_stereo.wav", "pcm_s16le", 8000, 2, 16, 3, false},
		{"wav/rf64_pcm_s16le_8k_mono.wav", "pcm_s16le", 8000, 1, 16, 3, false},
		{"wav/sox_pcm_s16le_16k_mono.wav", "pcm_s16le", 16000, 1, 16, 3, false},
		{"wav/silent_pcm_s16le_8k_mono.wav", "pcm_s16le", 8000, 1, 16, 3, true},
		{"wav/near_silent_pcm_s16le_8k_mono.wav", "pcm_s16le", 8000, 1, 16, 3, true},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			info, err := probeBytes(t, readFixture(t, tt.path))
			if err != nil {
				t.Fatal(err)
			}
			want := call.AudioInfo{Format: "wav", Codec: tt.codec, SampleRateHz: tt.rate, Channels: tt.channels,
				BitsPerSample: tt.bits, DurationSeconds: info.DurationSeconds, BitRate: info.BitRate, Silent: tt.silent}
			if info != want {
				t.Errorf("Probe = %+v\n want %+v", info, want)
			}
			if math.Abs(info.DurationSeconds-tt.duration) > 1e-9 {
				t.Errorf("duration = %v s, want %v s", info.DurationSeconds, tt.duration)
			}
			if info.BitRate <= 0 {
				t.Errorf("bit rate = %d, want > 0", info.BitRate)
			}
		})
	}
}

// wavChunk is one chunk of a WAV built by makeWAV; size overrides the
// declared size when not negative.
type wavChunk struct {
	id   string
	body []byte
	size int64
}

func chunk(id string, body []byte) wavChunk { return wavChunk{id: id, body: body, size: -1} }

// makeWAV assembles a RIFF file of the given kind ("RIFF", "RF64", ...) with
// the chunks in order, padding odd bodies.
func makeWAV(kind string, chunks ...wavChunk) []byte {
	var b bytes.Buffer
	b.WriteString(kind)
	b.Write([]byte{0, 0, 0, 0})
	b.WriteString("WAVE")
	for _, c := range chunks {
		size := uint32(len(c.body))
		if c.size >= 0 {
			size = uint32(min(c.size, math.MaxUint32))
		}
		b.WriteString(c.id)
		_ = binary.Write(&b, binary.LittleEndian, size)
		b.Write(c.body)
		if len(c.body)%2 == 1 {
			b.WriteByte(0)
		}
	}
	out := b.Bytes()
	binary.LittleEndian.PutUint32(out[4:], uint32(len(out)-8))
	return out
}

// fmtBody is a fmt chunk body.
func fmtBody(tag, channels uint16, rate uint32, blockAlign, bits uint16, extra ...byte) []byte {
	var b bytes.Buffer
	for _, v := range []any{tag, channels, rate, rate * uint32(blockAlign), blockAlign, bits} {
		_ = binary.Write(&b, binary.LittleEndian, v)
	}
	if extra != nil {
		_ = binary.Write(&b, binary.LittleEndian, uint16(len(extra)))
		b.Write(extra)
	}
	return b.Bytes()
}

// speech is n bytes of a loud 16-bit square wave, so that nothing is silent.
func speech(n int) []byte {
	b := make([]byte, n)
	for i := 0; i+1 < n; i += 2 {
		v := int16(10000)
		if (i/80)%2 == 1 {
			v = -10000
		}
		binary.LittleEndian.PutUint16(b[i:], uint16(v))
	}
	return b
}

func ds64Body(riff, data, samples uint64) []byte {
	b := make([]byte, 28)
	binary.LittleEndian.PutUint64(b[0:], riff)
	binary.LittleEndian.PutUint64(b[8:], data)
	binary.LittleEndian.PutUint64(b[16:], samples)
	return b
}

func TestProbeWAVHostile(t *testing.T) {
	t.Parallel()
	pcm := chunk("fmt ", fmtBody(1, 1, 8000, 2, 16))
	data := chunk("data", speech(16000))
	tiny := func(n int, id string) []wavChunk {
		c := make([]wavChunk, n)
		for i := range c {
			c[i] = chunk(id, nil)
		}
		return c
	}
	ext := func(guidTail string) []byte {
		e := make([]byte, 22)
		binary.LittleEndian.PutUint16(e[0:], 16)
		binary.LittleEndian.PutUint16(e[6:], 1)
		copy(e[8:], guidTail)
		return e
	}
	tests := []struct {
		name string
		file []byte
		want string // a reason contains it; "" = accepted
	}{
		{"plain", makeWAV("RIFF", pcm, data), ""},
		{"odd LIST chunk padded", makeWAV("RIFF", pcm, chunk("LIST", []byte("INFOabc")), data), ""},
		{"500 tiny chunks", makeWAV("RIFF", append(append([]wavChunk{pcm}, tiny(500, "JUNK")...), data)...), ""},
		{"5000 tiny chunks", makeWAV("RIFF", append(append([]wavChunk{pcm}, tiny(5000, "JUNK")...), data)...), "more than 1024 chunks"},
		{"zero-size chunks forever", makeWAV("RIFF", tiny(200000, "\x00\x00\x00\x00")...), "more than 1024 chunks"},
		{"chunk claims 4 GiB", makeWAV("RIFF", pcm, wavChunk{id: "LIST", body: []byte("INFO"), size: math.MaxUint32 - 1}, data), `"LIST" chunk declares 4.3 GB`},
		{"fmt claims 1 GB", makeWAV("RIFF", wavChunk{id: "fmt ", body: fmtBody(1, 1, 8000, 2, 16), size: 1e9}, data), `"fmt " chunk declares 1.0 GB`},
		{"data claims 4 GB", makeWAV("RIFF", pcm, wavChunk{id: "data", body: speech(1000), size: math.MaxUint32 - 1}), "truncated: the header declares 4.3 GB of audio but the file holds 1.0 kB"},
		{"RF64 claims 1 TiB", makeWAV("RF64", chunk("ds64", ds64Body(0, 1<<40, 0)), pcm, wavChunk{id: "data", body: speech(1000), size: math.MaxUint32}), "truncated: the header declares 1.1 TB of audio"},
		{"RF64 claims the impossible", makeWAV("RF64", chunk("ds64", ds64Body(0, math.MaxUint64, 0)), pcm, data), "impossible data size"},
		{"RF64 without ds64", makeWAV("RF64", pcm, wavChunk{id: "data", body: speech(100), size: math.MaxUint32}), "no ds64 chunk"},
		{"RF64 short ds64", makeWAV("RF64", chunk("ds64", make([]byte, 8)), pcm, data), "ds64 chunk of 8 bytes is too short"},
		{"data size unknown (0xFFFFFFFF)", makeWAV("RIFF", pcm, wavChunk{id: "data", body: speech(16000), size: math.MaxUint32}), ""},
		{"data size 0, audio follows", makeWAV("RIFF", pcm, wavChunk{id: "data", body: speech(16000), size: 0}), ""},
		{"empty data", makeWAV("RIFF", pcm, chunk("data", nil)), "zero duration"},
		{"0 channels", makeWAV("RIFF", chunk("fmt ", fmtBody(1, 0, 8000, 2, 16)), data), "0 channels"},
		{"255 channels", makeWAV("RIFF", chunk("fmt ", fmtBody(1, 255, 8000, 510, 16)), chunk("data", speech(255*2*100))), "absurd channel count: 255 channels"},
		{"sample rate 0", makeWAV("RIFF", chunk("fmt ", fmtBody(1, 1, 0, 2, 16)), data), "0 Hz"},
		{"sample rate 4 GHz", makeWAV("RIFF", chunk("fmt ", fmtBody(1, 1, math.MaxUint32, 2, 16)), data), "absurd sample rate: 4294967295 Hz"},
		{"0 bits", makeWAV("RIFF", chunk("fmt ", fmtBody(1, 1, 8000, 2, 0)), data), "0-bit PCM is not supported"},
		{"48-bit PCM", makeWAV("RIFF", chunk("fmt ", fmtBody(1, 1, 8000, 6, 48)), data), "48-bit PCM is not supported"},
		{"16-bit float", makeWAV("RIFF", chunk("fmt ", fmtBody(3, 1, 8000, 2, 16)), data), "16-bit floating point is not supported"},
		{"12-bit PCM in 16", makeWAV("RIFF", chunk("fmt ", fmtBody(1, 1, 8000, 2, 12)), data), ""},
		{"block align 0", makeWAV("RIFF", chunk("fmt ", fmtBody(1, 1, 8000, 0, 16)), data), ""},
		{"MP3 in WAV", makeWAV("RIFF", chunk("fmt ", fmtBody(0x55, 1, 8000, 1, 0)), data), "WAV with codec 0x0055 (MP3 in WAV) is not supported"},
		{"MS ADPCM", makeWAV("RIFF", chunk("fmt ", fmtBody(2, 1, 8000, 256, 4)), data), "0x0002 (Microsoft ADPCM)"},
		{"unknown codec", makeWAV("RIFF", chunk("fmt ", fmtBody(0x1234, 1, 8000, 2, 16)), data), "WAV with codec 0x1234 is not supported"},
		{"extensible PCM", makeWAV("RIFF", chunk("fmt ", fmtBody(0xFFFE, 1, 8000, 2, 16, ext(ksDataFormatSuffix)...)), data), ""},
		{"extensible bad GUID", makeWAV("RIFF", chunk("fmt ", fmtBody(0xFFFE, 1, 8000, 2, 16, ext("nonsense-guid!")...)), data), "unknown extensible sub-format"},
		{"extensible too short", makeWAV("RIFF", chunk("fmt ", fmtBody(0xFFFE, 1, 8000, 2, 16, 1, 2)), data), "unknown extensible sub-format"},
		{"GSM stereo", makeWAV("RIFF", chunk("fmt ", fmtBody(0x31, 2, 8000, 130, 0, 0x40, 0x01)), data), "GSM 6.10 must be mono"},
		{"IMA ADPCM tiny blocks", makeWAV("RIFF", chunk("fmt ", fmtBody(0x11, 1, 8000, 4, 4)), data), "IMA ADPCM"},
		{"mu-law 16 bits", makeWAV("RIFF", chunk("fmt ", fmtBody(7, 1, 8000, 2, 16)), data), "must have 8 bits per sample"},
		{"RIFX", makeWAV("RIFX", pcm, data), "big-endian WAV (RIFX) is not supported"},
		{"not WAVE", append([]byte("RIFF\x04\x00\x00\x00AVI "), data.body...), "RIFF file of type \"AVI \""},
		{"data before fmt", makeWAV("RIFF", data, pcm), "data chunk comes before the fmt chunk"},
		{"no data", makeWAV("RIFF", pcm, chunk("LIST", []byte("INFO"))), "no data chunk"},
		{"no fmt", makeWAV("RIFF", chunk("LIST", []byte("INFO"))), "no fmt chunk"},
		{"fmt too short", makeWAV("RIFF", chunk("fmt ", make([]byte, 14)), data), "fmt chunk of 14 bytes is too short"},
		{"header only", []byte("RIFF\x00\x00\x00\x00WAVE"), "truncated: the file holds only a RIFF header"},
		{"cut in chunk header", makeWAV("RIFF", pcm)[:16], "truncated: the file ends inside a chunk header"},
		{"cut in fmt", makeWAV("RIFF", pcm)[:30], "truncated"},
		{"cut between chunks", makeWAV("RIFF", pcm, data)[:36], "truncated: the file ends after 36 bytes, before the audio data, but its header declares 16.0 kB"},
		{"whole RIFF, no data chunk", makeWAV("RIFF", pcm)[:36], "no data chunk"},
		{"duration of weeks", makeWAV("RIFF", chunk("fmt ", fmtBody(1, 1, 1, 2, 16)), chunk("data", speech(2_000_000))), "absurd duration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := probeBytes(t, tt.file)
			assertReason(t, err, tt.want)
			// With the size unknown the outcome is the same, found by
			// counting instead of from the size.
			_, err = New(Config{}).Probe(t.Context(), bytes.NewReader(tt.file), -1)
			if tt.want == "" || !strings.Contains(tt.want, "chunk declares") {
				assertReason(t, err, strings.TrimSuffix(tt.want, " of audio but the file holds 1.0 kB"))
			} else if _, ok := IsRejection(err); !ok {
				t.Errorf("size unknown: error = %v, want a rejection", err)
			}
		})
	}
}

func TestProbeWAVTruncatedFixtures(t *testing.T) {
	t.Parallel()
	for _, fx := range fixtures(t) {
		if fx.format != FormatWAV {
			continue
		}
		t.Run(fx.path, func(t *testing.T) {
			t.Parallel()
			b := readFixture(t, fx.path)
			cuts := []int{1, 4, 11, 12, 16, 20, 30, 36, 44, 50, 60, 80, 100, 200, len(b) / 2, len(b) - 200}
			for _, cut := range cuts {
				for _, size := range []int64{int64(cut), -1} {
					_, err := New(Config{}).Probe(t.Context(), bytes.NewReader(b[:cut]), size)
					rej, ok := IsRejection(err)
					if !ok {
						t.Errorf("cut at %d (size %d): error = %v, want a rejection", cut, size, err)
						continue
					}
					if !strings.Contains(rej.Reason, "truncated") && !strings.Contains(rej.Reason, "not an audio file") {
						t.Errorf("cut at %d (size %d): reason %q does not say truncated", cut, size, rej.Reason)
					}
				}
			}
		})
	}
}

// TestProbeWAVSizeLies checks that a size larger than the stream does not
// hide a truncation: bytes are counted.
func TestProbeWAVSizeLies(t *testing.T) {
	t.Parallel()
	b := readFixture(t, "wav/pcm_s16le_8k_mono.wav")
	_, err := New(Config{}).Probe(t.Context(), bytes.NewReader(b[:len(b)/2]), int64(len(b)))
	assertReason(t, err, "truncated: the header declares 48.0 kB of audio but the file holds 24.0 kB")
}

func TestProbeWAVFailingReaderInData(t *testing.T) {
	t.Parallel()
	b := readFixture(t, "wav/pcm_s16le_8k_mono.wav")
	boom := errors.New("connection reset")
	r := io.MultiReader(bytes.NewReader(b[:20000]), &errAfter{b: bytes.NewReader(nil), err: boom})
	_, err := New(Config{}).Probe(t.Context(), r, int64(len(b)))
	if !errors.Is(err, boom) {
		t.Errorf("error = %v, want %v", err, boom)
	}
}

// TestProbeWAVSparse2GiB probes a 2 GiB WAV (a sparse file: a header, then
// zeros) and checks that memory does not grow with the file. It is not
// parallel so that the allocation figures are its own.
func TestProbeWAVSparse2GiB(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping in -short: reads 2 GiB")
	}
	const size = 2 << 30
	path := filepath.Join(t.TempDir(), "big.wav")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	hdr := makeWAV("RIFF", chunk("fmt ", fmtBody(1, 1, 8000, 2, 16)), wavChunk{id: "data", size: size - 44})
	if _, err := f.Write(hdr); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	info, err := New(Config{}).Probe(t.Context(), f, size)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if want := float64(size-44) / 2 / 8000; info.DurationSeconds != want || !info.Silent {
		t.Errorf("Probe = %+v, want %v s and silent", info, want)
	}
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("probed 2 GiB: %d bytes allocated, heap in use %d -> %d", allocated, before.HeapInuse, after.HeapInuse)
	if allocated > 16<<20 {
		t.Errorf("allocated %d bytes while probing 2 GiB, want under 16 MiB", allocated)
	}
}

func TestShrinkWAV(t *testing.T) {
	t.Parallel()
	for _, path := range []string{"wav/pcm_s16le_8k_mono.wav", "wav/rf64_pcm_s16le_8k_mono.wav", "wav/gsm_ms_8k_mono.wav"} {
		b := shrinkWAV(readFixture(t, path), 260)
		if _, err := probeBytes(t, b); err != nil || len(b) > 400 {
			t.Errorf("shrunk %s: %d bytes, probe error %v", path, len(b), err)
		}
	}
}

func TestHumanBytes(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{
		0: "0 bytes", 999: "999 bytes", 1000: "1.0 kB", 48000: "48.0 kB", 10_500_000: "10.5 MB",
		1 << 40: "1.1 TB", math.MaxInt64: "9.2 EB",
	} {
		if got := humanBytes(n); got != want {
			t.Errorf("humanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

// shrinkWAV keeps a WAV fixture's chunks up to its data chunk and the first
// keep bytes of audio, fixing the sizes, so that fuzz seeds stay small (the
// fuzzer minimises every new input byte by byte).
func shrinkWAV(b []byte, keep int) []byte {
	for off := 12; off+8 <= len(b); {
		id, n := string(b[off:off+4]), int(binary.LittleEndian.Uint32(b[off+4:]))
		if id == "data" {
			out := bytes.Clone(b[:off+8+min(keep, len(b)-off-8)])
			binary.LittleEndian.PutUint32(out[4:], uint32(len(out)-8))
			if string(out[:4]) == "RF64" {
				binary.LittleEndian.PutUint64(out[28:], uint64(len(out)-off-8)) // ds64 data size
			} else {
				binary.LittleEndian.PutUint32(out[off+4:], uint32(len(out)-off-8))
			}
			return out
		}
		off += 8 + n + n%2
	}
	return b
}

func FuzzWAV(f *testing.F) {
	for _, fx := range fixtures(f) {
		if fx.format == FormatWAV {
			f.Add(shrinkWAV(readFixture(f, fx.path), 260))
		}
	}
	pcm := chunk("fmt ", fmtBody(1, 1, 8000, 2, 16))
	f.Add(makeWAV("RF64", chunk("ds64", ds64Body(0, 1<<40, 0)), pcm, wavChunk{id: "data", body: speech(100), size: math.MaxUint32}))
	f.Add(makeWAV("RIFF", chunk("fmt ", fmtBody(0x31, 1, 8000, 65, 0, 0x40, 0x01)), chunk("fact", []byte{0x40, 1, 0, 0}), chunk("data", make([]byte, 65))))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, size := range []int64{int64(len(b)), -1} {
			info, err := probeWAV(t.Context(), bytes.NewReader(b), size, DefaultSilenceThresholdDBFS)
			if err != nil {
				if _, ok := IsRejection(err); !ok {
					t.Fatalf("a reader that never fails gave a non-rejection error: %v", err)
				}
				continue
			}
			if info.Codec == "" || info.DurationSeconds < 0 || math.IsNaN(info.DurationSeconds) || info.BitRate < 0 {
				t.Fatalf("implausible description: %+v", info)
			}
			if info.SampleRateHz == 0 || info.Channels == 0 {
				t.Fatalf("zero rate or channels accepted: %+v", info)
			}
		}
	})
}

// BenchmarkProbeWAV measures probe throughput on 64 MiB WAVs held in memory
// (so the figure is the parser's, not the disk's).
func BenchmarkProbeWAV(b *testing.B) {
	const size = 64 << 20
	cases := []struct {
		name string
		fmt  []byte
	}{
		{"pcm_s16le", fmtBody(1, 1, 8000, 2, 16)},
		{"pcm_s16le_stereo", fmtBody(1, 2, 8000, 4, 16)},
		{"pcm_mulaw", fmtBody(7, 1, 8000, 1, 8)},
		{"pcm_f32le", fmtBody(3, 1, 8000, 4, 32)},
		{"gsm_ms", fmtBody(0x31, 1, 8000, 65, 0, 0x40, 0x01)},
	}
	b.Run("baseline_read", func(b *testing.B) {
		// Reading as many bytes through the same buffer, parsing nothing.
		file := speech(size)
		buf := make([]byte, wavBufSize)
		b.SetBytes(int64(len(file)))
		for b.Loop() {
			r := bytes.NewReader(file)
			for {
				if _, err := r.Read(buf); err != nil {
					break
				}
			}
		}
	})
	for _, c := range cases {
		file := makeWAV("RIFF", chunk("fmt ", c.fmt), chunk("data", speech(size-(size%65))))
		p := New(Config{})
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(file)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Probe(b.Context(), bytes.NewReader(file), int64(len(file))); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// ExampleRules shows a campaign rule applied after probing.
func ExampleRules() {
	info := call.AudioInfo{Format: "wav", Codec: "pcm_mulaw", DurationSeconds: 4, SampleRateHz: 8000, Channels: 1}
	err := Rules{Channels: 2}.Check(info)
	fmt.Println(err)
	// Output: wrong channel count for this campaign: 1, the campaign requires 2
}
