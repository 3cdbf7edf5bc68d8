package audio

import (
	"encoding/binary"
	"fmt"
)

// mp3Frame is a decoded MPEG audio frame header.
type mp3Frame struct {
	version    int // 10 = MPEG-1, 20 = MPEG-2, 25 = MPEG-2.5
	layer      int // 1, 2 or 3
	bitRate    int // bits per second; 0 for free format
	sampleRate int
	channels   int
	frameLen   int // bytes including the header; 0 for free format
	samples    int // samples per channel in the frame
	mono       bool
}

// mp3BitRates holds kbit/s by [MPEG-1?0:1][layer-1][index].
var mp3BitRates = [2][3][16]int{
	{ // MPEG-1
		{0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448, -1},
		{0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, -1},
		{0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, -1},
	},
	{ // MPEG-2 and 2.5
		{0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256, -1},
		{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, -1},
		{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, -1},
	},
}

// mp3SampleRates holds Hz by [MPEG-1, MPEG-2, MPEG-2.5][index].
var mp3SampleRates = [3][3]int{
	{44100, 48000, 32000},
	{22050, 24000, 16000},
	{11025, 12000, 8000},
}

// mp3SameMask selects the header bits that stay constant across the frames
// of one stream (sync, version, layer, sample rate), as ffmpeg does.
const mp3SameMask = 0xFFE00000 | 3<<17 | 3<<19 | 3<<10

// parseMP3Frame decodes the four bytes of a frame header; ok is false if
// they are not a valid header (free format is valid, with frameLen 0).
func parseMP3Frame(b []byte) (h mp3Frame, raw uint32, ok bool) {
	if len(b) < 4 {
		return h, 0, false
	}
	raw = binary.BigEndian.Uint32(b)
	if raw&0xFFE00000 != 0xFFE00000 {
		return h, raw, false
	}
	verBits := raw >> 19 & 3
	layerBits := raw >> 17 & 3
	brIdx := raw >> 12 & 15
	srIdx := raw >> 10 & 3
	if verBits == 1 || layerBits == 0 || brIdx == 15 || srIdx == 3 {
		return h, raw, false
	}
	var vi int // index into mp3SampleRates
	switch verBits {
	case 3:
		h.version, vi = 10, 0
	case 2:
		h.version, vi = 20, 1
	default:
		h.version, vi = 25, 2
	}
	h.layer = 4 - int(layerBits)
	tbl := 0
	if h.version != 10 {
		tbl = 1
	}
	h.bitRate = mp3BitRates[tbl][h.layer-1][brIdx] * 1000
	h.sampleRate = mp3SampleRates[vi][srIdx]
	pad := int(raw >> 9 & 1)
	h.mono = raw>>6&3 == 3
	h.channels = 2
	if h.mono {
		h.channels = 1
	}
	switch {
	case h.layer == 1:
		h.samples = 384
		h.frameLen = (12*h.bitRate/h.sampleRate + pad) * 4
	case h.layer == 2 || h.version == 10:
		h.samples = 1152
		h.frameLen = 144*h.bitRate/h.sampleRate + pad
	default:
		h.samples = 576
		h.frameLen = 72*h.bitRate/h.sampleRate + pad
	}
	if h.bitRate == 0 {
		h.frameLen = 0
	}
	return h, raw, true
}

// codecName names the MPEG audio layer as ffprobe does.
func (h mp3Frame) codecName() string {
	return fmt.Sprintf("mp%d", h.layer)
}

// mp3VBRInfo is what a Xing/Info or VBRI header in the first frame says.
type mp3VBRInfo struct {
	kind   string // "Xing", "Info", "VBRI" or "" when absent
	frames int64  // 0 when not given
	bytes  int64  // 0 when not given
}

// parseMP3VBR looks for a Xing/Info or VBRI header in frame (the whole
// first frame, header included).
func parseMP3VBR(h mp3Frame, frame []byte) mp3VBRInfo {
	var side int
	switch {
	case h.version == 10 && h.mono:
		side = 17
	case h.version == 10:
		side = 32
	case h.mono:
		side = 9
	default:
		side = 17
	}
	if x := frame[min(len(frame), 4+side):]; len(x) >= 8 {
		if tag := string(x[:4]); tag == "Xing" || tag == "Info" {
			v := mp3VBRInfo{kind: tag}
			flags := binary.BigEndian.Uint32(x[4:8])
			x = x[8:]
			if flags&1 != 0 && len(x) >= 4 {
				v.frames = int64(binary.BigEndian.Uint32(x))
				x = x[4:]
			}
			if flags&2 != 0 && len(x) >= 4 {
				v.bytes = int64(binary.BigEndian.Uint32(x))
			}
			return v
		}
	}
	if x := frame[min(len(frame), 4+32):]; len(x) >= 18 && string(x[:4]) == "VBRI" {
		return mp3VBRInfo{
			kind:   "VBRI",
			bytes:  int64(binary.BigEndian.Uint32(x[10:14])),
			frames: int64(binary.BigEndian.Uint32(x[14:18])),
		}
	}
	return mp3VBRInfo{}
}

// mp3ID3Size returns the total length (header, body and footer) of the ID3v2
// tag that b (at least 10 bytes) starts with, or 0 if b does not start one.
func mp3ID3Size(b []byte) int64 {
	if len(b) < 10 || string(b[:3]) != "ID3" || b[3] == 0xFF || b[4] == 0xFF {
		return 0
	}
	if b[6]|b[7]|b[8]|b[9] >= 0x80 {
		return 0 // the size is syncsafe: no byte has its top bit set
	}
	n := int64(b[6])<<21 | int64(b[7])<<14 | int64(b[8])<<7 | int64(b[9])
	n += 10
	if b[5]&0x10 != 0 {
		n += 10 // footer
	}
	return n
}

// mp3SkipID3 skips any number of consecutive ID3v2 tags at the current
// position. It returns how many it skipped.
func mp3SkipID3(s *pstream) (int, error) {
	tags := 0
	for {
		b, err := s.peek(10)
		if err != nil {
			return tags, err
		}
		n := mp3ID3Size(b)
		if n == 0 {
			return tags, nil
		}
		if s.beyondSize(s.off + n) {
			return tags, Reject("truncated: the ID3 tag declares %s but the file holds %s",
				pstreamHuman(n), pstreamHuman(s.size-s.off))
		}
		if err := s.skip(n); err != nil {
			return tags, s.truncated(err, "the ID3 tag")
		}
		tags++
	}
}

// mp3TrailerLen returns the length of a known trailing tag (ID3v1, APE,
// Lyrics3, an ID3v2 tag appended at the end) that b starts with, or 0.
// b should hold at least 32 bytes when available.
func mp3TrailerLen(b []byte) int64 {
	switch {
	case len(b) >= 10 && mp3ID3Size(b) > 0:
		return mp3ID3Size(b)
	case len(b) >= 10 && string(b[:3]) == "3DI":
		return 10 // an ID3v2.4 footer on its own
	case len(b) >= 32 && string(b[:8]) == "APETAGEX":
		n := int64(binary.LittleEndian.Uint32(b[12:16]))
		if flags := binary.LittleEndian.Uint32(b[20:24]); flags&(1<<29) != 0 {
			return 32 + n // a header: the items and the footer follow
		}
		return 32 // a footer: the items were skipped as junk
	case len(b) >= 3 && string(b[:3]) == "TAG":
		return 128
	}
	return 0
}
