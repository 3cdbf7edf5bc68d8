package audio

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"
)

func TestG711Table(t *testing.T) {
	t.Parallel()
	mu, a := g711Table(false), g711Table(true)
	tests := []struct {
		name string
		got  int32
		want int
	}{
		{"mu-law 0xFF", mu[0xFF], 0},
		{"mu-law 0x7F", mu[0x7F], 0},
		{"mu-law 0x80", mu[0x80], 32124},
		{"mu-law 0x00", mu[0x00], -32124},
		{"A-law 0xD5", a[0xD5], 8},
		{"A-law 0x55", a[0x55], -8},
		{"A-law 0xAA", a[0xAA], 32256},
		{"A-law 0x2A", a[0x2A], -32256},
	}
	for _, tt := range tests {
		if got := tt.got; got != int32(tt.want) {
			t.Errorf("%s decodes to %v, want %d", tt.name, got, tt.want)
		}
	}
}

func TestLevelMeterSplitSamples(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 4096)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	for _, codec := range []string{"pcm_u8", "pcm_s16le", "pcm_s24le", "pcm_s32le", "pcm_f32le", "pcm_f64le", "pcm_mulaw", "pcm_alaw"} {
		whole := newLevelMeter(codec)
		whole.write(data)
		split := newLevelMeter(codec)
		for rest := data; len(rest) > 0; {
			n := min(len(rest), 1+rng.IntN(11))
			split.write(rest[:n])
			rest = rest[n:]
		}
		if whole.count != split.count || math.Abs(whole.dbfs()-split.dbfs()) > 1e-9 {
			t.Errorf("%s: whole %d samples at %v dBFS, split %d samples at %v dBFS",
				codec, whole.count, whole.dbfs(), split.count, split.dbfs())
		}
	}
	// Skipping any number of bytes keeps the sample alignment: with 24-bit
	// samples, skipping 3k+1 bytes must drop the 2 bytes that end a sample.
	for _, skip := range []int{1, 2, 3, 4, 5, 300, 301} {
		m := newLevelMeter("pcm_s24le")
		m.write(data[:10])
		m.skip(skip)
		m.write(data[10+skip:])
		want := newLevelMeter("pcm_s24le")
		aligned := (10 + skip + 2) / 3 * 3
		want.write(data[:9])
		want.write(data[aligned : len(data)-len(data)%3])
		if m.count != want.count || math.Abs(m.dbfs()-want.dbfs()) > 1e-9 {
			t.Errorf("skip %d: %d samples at %v dBFS, want %d at %v", skip, m.count, m.dbfs(), want.count, want.dbfs())
		}
	}
	if newLevelMeter("gsm_ms") != nil || newLevelMeter("adpcm_ima_wav") != nil {
		t.Error("a meter for a codec that is not cheap to measure")
	}
}

func TestLevelMeterLevels(t *testing.T) {
	t.Parallel()
	s16 := func(f func(i int) float64) []byte {
		b := make([]byte, 16000)
		for i := 0; i < len(b)/2; i++ {
			binary.LittleEndian.PutUint16(b[2*i:], uint16(int16(math.Round(f(i)*32767))))
		}
		return b
	}
	f32 := func(v float32) []byte {
		return binary.LittleEndian.AppendUint32(nil, math.Float32bits(v))
	}
	tests := []struct {
		name   string
		codec  string
		data   []byte
		dbfs   float64 // compared within 0.1 dB; -Inf exactly
		silent bool
	}{
		{"full-scale square", "pcm_s16le", s16(func(i int) float64 { return float64(1 - 2*(i/20%2)) }), 0, false},
		{"half-scale sine", "pcm_s16le", s16(func(i int) float64 { return 0.5 * math.Sin(float64(i)/5) }), -9.03, false},
		{"sine at -70 dB", "pcm_s16le", s16(func(i int) float64 { return 0.000316 * 1.414 * math.Sin(float64(i)/5) }), -70, true},
		{"digital zero", "pcm_s16le", make([]byte, 1000), math.Inf(-1), true},
		{"u8 midpoint", "pcm_u8", bytes.Repeat([]byte{128}, 1000), math.Inf(-1), true},
		{"mu-law silence", "pcm_mulaw", bytes.Repeat([]byte{0xFF}, 1000), math.Inf(-1), true},
		{"A-law quietest", "pcm_alaw", bytes.Repeat([]byte{0xD5}, 1000), 20 * math.Log10(8.0/32768), true},
		{"float NaN is loud", "pcm_f32le", bytes.Repeat(f32(float32(math.NaN())), 100), 0, false},
		{"nothing measured", "pcm_s16le", nil, math.Inf(-1), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := newLevelMeter(tt.codec)
			m.write(tt.data)
			got := m.dbfs()
			if math.IsInf(tt.dbfs, -1) && !math.IsInf(got, -1) || !math.IsInf(tt.dbfs, -1) && math.Abs(got-tt.dbfs) > 0.1 {
				t.Errorf("dbfs = %v, want %v", got, tt.dbfs)
			}
			if s := m.silent(DefaultSilenceThresholdDBFS); s != tt.silent {
				t.Errorf("silent = %v, want %v", s, tt.silent)
			}
		})
	}
}

func TestSilenceThresholdConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path      string
		threshold float64
		silent    bool
	}{
		{"wav/near_silent_pcm_s16le_8k_mono.wav", 0, true},
		{"wav/near_silent_pcm_s16le_8k_mono.wav", -100, false},
		{"wav/pcm_s16le_8k_mono.wav", 0, false},
		{"wav/pcm_s16le_8k_mono.wav", -5, true},
		{"wav/silent_pcm_s16le_8k_mono.wav", -1000, true}, // digital zero is -Inf dBFS
		{"wav/gsm_ms_8k_mono.wav", -5, false},             // not measured
	}
	for _, tt := range tests {
		b := readFixture(t, tt.path)
		info, err := New(Config{SilenceThresholdDBFS: tt.threshold}).Probe(t.Context(), bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		if info.Silent != tt.silent {
			t.Errorf("%s with threshold %v: silent = %v, want %v", tt.path, tt.threshold, info.Silent, tt.silent)
		}
	}
}
