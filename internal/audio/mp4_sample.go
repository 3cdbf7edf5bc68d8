package audio

import (
	"encoding/binary"
	"math"
)

// mp4SampleEntry is the first sample entry of a track's stsd box.
type mp4SampleEntry struct {
	typ        string // "mp4a", "alac", ...; "" if absent
	channels   int
	sampleRate int
	hasESDS    bool
	oti        byte // ES object type indication
	avgBitrate uint32
	asc        mp4ASC
}

// mp4ASC is what an MPEG-4 AudioSpecificConfig says.
type mp4ASC struct {
	ok       bool
	aot      int // audio object type (2 = AAC LC, 5 = SBR, 29 = PS, ...)
	rate     int // output rate: the SBR extension rate for HE-AAC
	channels int // 0 when the config defers to the sample entry
}

// parseMP4Stsd reads the first sample entry of an stsd box body.
func parseMP4Stsd(b []byte) mp4SampleEntry {
	var e mp4SampleEntry
	if len(b) < 16 || binary.BigEndian.Uint32(b[4:8]) == 0 {
		return e
	}
	b = b[8:]
	if n := int(binary.BigEndian.Uint32(b)); n >= 8 && n < len(b) {
		b = b[:n]
	}
	e.typ = mp4Type(b[4:8])
	if len(b) < 36 {
		return e
	}
	children := 36
	e.channels = int(binary.BigEndian.Uint16(b[24:26]))
	e.sampleRate = int(binary.BigEndian.Uint32(b[32:36]) >> 16)
	switch binary.BigEndian.Uint16(b[16:18]) { // QuickTime sound description version
	case 1:
		children = 52
	case 2:
		children = 72
		if len(b) >= 52 {
			r := math.Float64frombits(binary.BigEndian.Uint64(b[40:48]))
			if r > 0 && r < 1<<24 {
				e.sampleRate = int(r + 0.5)
			}
			e.channels = int(min(binary.BigEndian.Uint32(b[48:52]), 1<<16))
		}
	}
	if children <= len(b) {
		e.findESDS(b[children:], 0)
	}
	return e
}

// findESDS looks for an esds box among boxes b, also inside a QuickTime
// wave box.
func (e *mp4SampleEntry) findESDS(b []byte, depth int) {
	for len(b) >= 8 && depth < 4 {
		n := int(binary.BigEndian.Uint32(b))
		if n < 8 || n > len(b) {
			n = len(b)
		}
		switch string(b[4:8]) {
		case "esds":
			e.parseESDS(b[8:n])
			return
		case "wave":
			e.findESDS(b[8:n], depth+1)
			if e.hasESDS {
				return
			}
		}
		b = b[n:]
	}
}

// mp4Descriptor splits the MPEG-4 descriptor at the start of b.
func mp4Descriptor(b []byte) (tag byte, body, rest []byte, ok bool) {
	if len(b) < 2 {
		return 0, nil, nil, false
	}
	tag = b[0]
	n, i := 0, 1
	for k := 0; k < 4; k++ {
		if i >= len(b) {
			return 0, nil, nil, false
		}
		c := b[i]
		i++
		n = n<<7 | int(c&0x7F)
		if c&0x80 == 0 {
			break
		}
	}
	if n > len(b)-i {
		n = len(b) - i
	}
	return tag, b[i : i+n], b[i+n:], true
}

// parseESDS reads the ES descriptor: object type, average bit rate and
// the AudioSpecificConfig.
func (e *mp4SampleEntry) parseESDS(b []byte) {
	if len(b) < 4 {
		return
	}
	b = b[4:] // version and flags
	tag, body, _, ok := mp4Descriptor(b)
	if !ok {
		return
	}
	if tag == 0x03 { // ES_Descriptor
		if len(body) < 3 {
			return
		}
		flags := body[2]
		body = body[3:]
		if flags&0x80 != 0 {
			body = body[min(2, len(body)):]
		}
		if flags&0x40 != 0 && len(body) > 0 {
			body = body[min(1+int(body[0]), len(body)):]
		}
		if flags&0x20 != 0 {
			body = body[min(2, len(body)):]
		}
		for len(body) > 0 {
			t, inner, rest, ok := mp4Descriptor(body)
			if !ok {
				return
			}
			if t == 0x04 {
				tag, body = t, inner
				break
			}
			body = rest
		}
	}
	if tag != 0x04 || len(body) < 13 { // DecoderConfigDescriptor
		return
	}
	e.hasESDS = true
	e.oti = body[0]
	e.avgBitrate = binary.BigEndian.Uint32(body[9:13])
	for rest := body[13:]; len(rest) > 0; {
		t, inner, next, ok := mp4Descriptor(rest)
		if !ok {
			return
		}
		if t == 0x05 { // DecoderSpecificInfo
			e.asc = parseMP4ASC(inner)
			return
		}
		rest = next
	}
}

// mp4AACRates maps the sampling frequency index to Hz.
var mp4AACRates = [16]int{96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350}

// mp4AACChannels maps the channel configuration to a channel count.
var mp4AACChannels = [16]int{0, 1, 2, 3, 4, 5, 6, 8, 0, 0, 0, 7, 8, 24, 8, 0}

// parseMP4ASC reads an AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1).
func parseMP4ASC(b []byte) mp4ASC {
	br := mp4Bits{b: b}
	aot := func() int {
		v := int(br.read(5))
		if v == 31 {
			v = 32 + int(br.read(6))
		}
		return v
	}
	rate := func() int {
		i := br.read(4)
		if i == 15 {
			return int(br.read(24))
		}
		return mp4AACRates[i]
	}
	a := mp4ASC{aot: aot()}
	a.rate = rate()
	a.channels = mp4AACChannels[br.read(4)]
	if a.aot == 5 || a.aot == 29 { // explicit SBR (HE-AAC), PS (HE-AAC v2)
		if r := rate(); r > 0 {
			a.rate = r
		}
		if a.aot == 29 && a.channels == 1 {
			a.channels = 2
		}
		aot()
	}
	a.ok = !br.short
	if !a.ok {
		return mp4ASC{}
	}
	return a
}

// mp4Bits reads bits most significant first; reading past the end sets
// short and yields zeros.
type mp4Bits struct {
	b     []byte
	pos   int
	short bool
}

func (r *mp4Bits) read(n int) uint32 {
	var v uint32
	for range n {
		if r.pos >= 8*len(r.b) {
			r.short = true
			return 0
		}
		bit := r.b[r.pos/8] >> (7 - r.pos%8) & 1
		v = v<<1 | uint32(bit)
		r.pos++
	}
	return v
}

// mp4Codec names the codec of a sample entry as ffprobe does, or rejects
// codecs other than AAC, naming them.
func mp4Codec(e mp4SampleEntry) (string, error) {
	switch e.typ {
	case "mp4a":
	case "":
		return "", Reject("the MP4 audio track has no sample description")
	case "enca":
		return "", Reject("encrypted MP4 audio is not supported")
	default:
		names := map[string]string{
			"alac": "ALAC", "Opus": "Opus", "fLaC": "FLAC", "ac-3": "AC-3", "ec-3": "E-AC-3",
			"ac-4": "AC-4", "samr": "AMR-NB", "sawb": "AMR-WB", "ulaw": "μ-law", "alaw": "A-law",
			"sowt": "PCM", "twos": "PCM", "lpcm": "PCM", "in24": "PCM", "in32": "PCM", "fl32": "PCM",
			"fl64": "PCM", "raw ": "PCM", "ipcm": "PCM", "fpcm": "PCM", ".mp3": "MP3", "mp3 ": "MP3",
			"ima4": "IMA ADPCM", "Qclp": "QCELP", "sqcp": "QCELP", "sevc": "EVRC", "dtsc": "DTS",
			"mha1": "MPEG-H", "mhm1": "MPEG-H",
		}
		if n, ok := names[e.typ]; ok {
			return "", Reject("MP4 audio with codec %s is not supported", n)
		}
		return "", Reject("MP4 audio with codec %q is not supported", e.typ)
	}
	if !e.hasESDS {
		return "aac", nil // as ffmpeg assumes for mp4a without esds
	}
	switch e.oti {
	case 0x40: // MPEG-4 audio: the object type decides
		if !e.asc.ok {
			return "aac", nil
		}
		switch e.asc.aot {
		case 1, 2, 3, 4, 5, 6, 7, 17, 19, 20, 21, 22, 23, 29, 39:
			return "aac", nil
		case 32, 33, 34:
			return "", Reject("MP4 audio with codec MPEG layer %d (mp%d) is not supported", e.asc.aot-31, e.asc.aot-31)
		case 36:
			return "", Reject("MP4 audio with codec MPEG-4 ALS is not supported")
		case 42:
			return "", Reject("MP4 audio with codec USAC (xHE-AAC) is not supported")
		}
		return "", Reject("MP4 audio with MPEG-4 audio object type %d is not supported", e.asc.aot)
	case 0x66, 0x67, 0x68: // MPEG-2 AAC Main, LC, SSR
		return "aac", nil
	}
	names := map[byte]string{
		0x69: "MP3", 0x6B: "MP3", 0xA5: "AC-3", 0xA6: "E-AC-3", 0xA9: "DTS", 0xAD: "Opus",
		0xDD: "Vorbis", 0xE1: "QCELP", 0x6D: "FLAC",
	}
	if n, ok := names[e.oti]; ok {
		return "", Reject("MP4 audio with codec %s is not supported", n)
	}
	return "", Reject("MP4 audio with object type 0x%02X is not supported", e.oti)
}
