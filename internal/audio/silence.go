package audio

import (
	"encoding/binary"
	"math"
)

// DefaultSilenceThresholdDBFS is the RMS level below which a recording is
// flagged silent when Config.SilenceThresholdDBFS is zero.
const DefaultSilenceThresholdDBFS = -60.0

// levelMeter measures the RMS level of linear PCM, float, μ-law and A-law
// sample bytes fed to it in any slicing: a sample split across two writes is
// carried over, and bytes passed over with skip keep the sample alignment.
// All channels are measured together: a call with one silent side still has
// a level.
type levelMeter struct {
	codec    string
	bytesPer int
	table    *[256]int32 // G.711 decoding to 16-bit linear, when used

	sumSq float64 // sum of squared samples normalised to [-1, 1]
	count int64
	off   int64 // bytes written or skipped so far
	carry [8]byte
	carN  int
}

// newLevelMeter returns a meter for the ffprobe-style codec name, or nil
// when the codec is not one whose level is cheap to measure.
func newLevelMeter(codec string) *levelMeter {
	sizes := map[string]int{
		"pcm_u8": 1, "pcm_s16le": 2, "pcm_s24le": 3, "pcm_s32le": 4,
		"pcm_f32le": 4, "pcm_f64le": 8, "pcm_mulaw": 1, "pcm_alaw": 1,
	}
	n, ok := sizes[codec]
	if !ok {
		return nil
	}
	m := &levelMeter{codec: codec, bytesPer: n}
	if codec == "pcm_mulaw" || codec == "pcm_alaw" {
		t := g711Table(codec == "pcm_alaw")
		m.table = &t
	}
	return m
}

// write measures the samples in p.
func (m *levelMeter) write(p []byte) {
	start := m.off
	m.off += int64(len(p))
	if m.carN > 0 {
		k := copy(m.carry[m.carN:m.bytesPer], p)
		m.carN += k
		p = p[k:]
		if m.carN < m.bytesPer {
			return
		}
		m.add(m.carry[:m.bytesPer])
		m.carN = 0
	} else if r := int(start % int64(m.bytesPer)); r != 0 {
		// After a skip that ended inside a sample: drop its remaining bytes.
		p = p[min(len(p), m.bytesPer-r):]
	}
	whole := len(p) - len(p)%m.bytesPer
	m.add(p[:whole])
	m.carN = copy(m.carry[:], p[whole:])
}

// skip passes over n bytes without measuring them.
func (m *levelMeter) skip(n int) {
	m.off += int64(n)
	m.carN = 0
}

// add measures whole samples. Integer sums stay exact: p is at most one
// read buffer, far from overflowing int64 even for 24-bit samples.
func (m *levelMeter) add(p []byte) {
	var sum float64
	switch m.codec {
	case "pcm_u8":
		var acc int64
		for _, b := range p {
			v := int64(b) - 128
			acc += v * v
		}
		sum = float64(acc) / (1 << 14)
	case "pcm_s16le":
		var acc int64
		for i := 0; i+1 < len(p); i += 2 {
			v := int64(int16(uint16(p[i]) | uint16(p[i+1])<<8))
			acc += v * v
		}
		sum = float64(acc) / (1 << 30)
	case "pcm_s24le":
		var acc int64
		for i := 0; i+2 < len(p); i += 3 {
			v := int64(int32(uint32(p[i])<<8|uint32(p[i+1])<<16|uint32(p[i+2])<<24) >> 8)
			acc += v * v
		}
		sum = float64(acc) / (1 << 46)
	case "pcm_s32le":
		for i := 0; i+3 < len(p); i += 4 {
			v := float64(int32(binary.LittleEndian.Uint32(p[i:]))) / (1 << 31)
			sum += v * v
		}
	case "pcm_f32le":
		for i := 0; i+3 < len(p); i += 4 {
			v := finite(float64(math.Float32frombits(binary.LittleEndian.Uint32(p[i:]))))
			sum += v * v
		}
	case "pcm_f64le":
		for i := 0; i+7 < len(p); i += 8 {
			v := finite(math.Float64frombits(binary.LittleEndian.Uint64(p[i:])))
			sum += v * v
		}
	default: // G.711
		var acc int64
		for _, b := range p {
			v := int64(m.table[b])
			acc += v * v
		}
		sum = float64(acc) / (1 << 30)
	}
	m.sumSq += sum
	m.count += int64(len(p) / m.bytesPer)
}

// dbfs returns the RMS level in dB relative to full scale: 0 for a full-scale
// square wave, about -3 for a full-scale sine, -Inf for digital silence or
// when nothing was measured.
func (m *levelMeter) dbfs() float64 {
	if m.count == 0 || m.sumSq == 0 {
		return math.Inf(-1)
	}
	return 10 * math.Log10(m.sumSq/float64(m.count))
}

// silent reports whether something was measured and its level is below
// threshold dBFS.
func (m *levelMeter) silent(threshold float64) bool {
	return m.count > 0 && m.dbfs() < threshold
}

// finite maps NaN and infinities (possible in float WAV) to full scale, so
// that garbage is never taken for silence.
func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 1
	}
	return v
}

// g711Table decodes every μ-law (or A-law) byte to a 16-bit linear sample
// (ITU-T G.711).
func g711Table(alaw bool) [256]int32 {
	var t [256]int32
	for i := range t {
		var v int
		if alaw {
			a := i ^ 0x55
			exp, mant := (a>>4)&7, a&0x0F
			if exp == 0 {
				v = mant<<4 + 8
			} else {
				v = (mant<<4 + 0x108) << (exp - 1)
			}
			if a&0x80 == 0 {
				v = -v
			}
		} else {
			u := ^i & 0xFF
			exp, mant := (u>>4)&7, u&0x0F
			v = (mant<<3+0x84)<<exp - 0x84
			if u&0x80 != 0 {
				v = -v
			}
		}
		t[i] = int32(v)
	}
	return t
}
