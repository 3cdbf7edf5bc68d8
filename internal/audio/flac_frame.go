package audio

import "bytes"

// flacMaxHeader is the longest FLAC frame header: 4 fixed bytes, a 7-byte
// coded number, 2 bytes of block size, 2 of sample rate and the CRC-8.
const flacMaxHeader = 16

// flacFrameHeader is a decoded FLAC frame header.
type flacFrameHeader struct {
	variable   bool   // variable block size: number counts samples, not frames
	number     uint64 // frame number, or sample number when variable
	blockSize  int
	sampleRate int // 0 when the header defers to STREAMINFO
	channels   int
	bits       int // 0 when the header defers to STREAMINFO
	headerLen  int // bytes including the CRC-8
}

// flacSampleRates maps the 4-bit sample rate code (1–11) to Hz.
var flacSampleRates = [12]int{0, 88200, 176400, 192000, 8000, 16000, 22050, 24000, 32000, 44100, 48000, 96000}

// flacSampleBits maps the 3-bit sample size code to bits; -1 is reserved.
var flacSampleBits = [8]int{0, 8, 12, -1, 16, 20, 24, 32}

// flacFindSync returns the index of the first frame sync code (0xFFF8 or
// 0xFFF9) in b, or -1.
func flacFindSync(b []byte) int {
	off := 0
	for {
		i := bytes.IndexByte(b[off:], 0xFF)
		if i < 0 || off+i+1 >= len(b) {
			return -1
		}
		if b[off+i+1]&0xFE == 0xF8 {
			return off + i
		}
		off += i + 1
	}
}

// parseFLACFrameHeader decodes and checks (CRC-8 included) the frame
// header b starts with.
func parseFLACFrameHeader(b []byte) (flacFrameHeader, bool) {
	var h flacFrameHeader
	if len(b) < 6 || b[0] != 0xFF || b[1]&0xFE != 0xF8 {
		return h, false
	}
	h.variable = b[1]&1 == 1
	bsCode, srCode := b[2]>>4, b[2]&15
	chCode, ssCode := b[3]>>4, b[3]>>1&7
	if bsCode == 0 || srCode == 15 || chCode > 10 || flacSampleBits[ssCode] < 0 || b[3]&1 != 0 {
		return h, false
	}
	n := 4
	num, ln, ok := flacUTF8(b[n:], h.variable)
	if !ok {
		return h, false
	}
	h.number = num
	n += ln
	switch {
	case bsCode == 1:
		h.blockSize = 192
	case bsCode <= 5:
		h.blockSize = 576 << (bsCode - 2)
	case bsCode == 6:
		if len(b) < n+1 {
			return h, false
		}
		h.blockSize = int(b[n]) + 1
		n++
	case bsCode == 7:
		if len(b) < n+2 {
			return h, false
		}
		h.blockSize = int(b[n])<<8 | int(b[n+1]) + 1
		n += 2
	default:
		h.blockSize = 256 << (bsCode - 8)
	}
	switch {
	case srCode <= 11:
		h.sampleRate = flacSampleRates[srCode]
	case srCode == 12:
		if len(b) < n+1 {
			return h, false
		}
		h.sampleRate = int(b[n]) * 1000
		n++
	default:
		if len(b) < n+2 {
			return h, false
		}
		h.sampleRate = int(b[n])<<8 | int(b[n+1])
		if srCode == 14 {
			h.sampleRate *= 10
		}
		n += 2
	}
	h.channels = int(chCode) + 1
	if chCode >= 8 {
		h.channels = 2
	}
	h.bits = flacSampleBits[ssCode]
	if len(b) < n+1 || flacCRC8(b[:n]) != b[n] {
		return h, false
	}
	h.headerLen = n + 1
	return h, true
}

// flacConsistent reports whether frame header h agrees with STREAMINFO.
func flacConsistent(h flacFrameHeader, si flacStreamInfo) bool {
	return h.channels == si.channels &&
		(h.sampleRate == 0 || h.sampleRate == si.sampleRate) &&
		(h.bits == 0 || h.bits == si.bits) &&
		(si.maxBlock == 0 || h.blockSize <= si.maxBlock)
}

// flacUTF8 decodes the UTF-8-like coded frame or sample number: up to 6
// bytes (31 bits) for frame numbers, 7 bytes (36 bits) for sample numbers.
func flacUTF8(b []byte, variable bool) (uint64, int, bool) {
	if len(b) == 0 {
		return 0, 0, false
	}
	c := b[0]
	var v uint64
	var n int
	switch {
	case c < 0x80:
		return uint64(c), 1, true
	case c&0xE0 == 0xC0:
		v, n = uint64(c&0x1F), 2
	case c&0xF0 == 0xE0:
		v, n = uint64(c&0x0F), 3
	case c&0xF8 == 0xF0:
		v, n = uint64(c&0x07), 4
	case c&0xFC == 0xF8:
		v, n = uint64(c&0x03), 5
	case c&0xFE == 0xFC:
		v, n = uint64(c&0x01), 6
	case c == 0xFE && variable:
		v, n = 0, 7
	default:
		return 0, 0, false
	}
	if len(b) < n {
		return 0, 0, false
	}
	for _, x := range b[1:n] {
		if x&0xC0 != 0x80 {
			return 0, 0, false
		}
		v = v<<6 | uint64(x&0x3F)
	}
	return v, n, true
}

// flacCRC8 is the frame header CRC: polynomial x^8+x^2+x+1, initial 0.
func flacCRC8(b []byte) byte {
	var crc byte
	for _, x := range b {
		crc ^= x
		for range 8 {
			if crc&0x80 != 0 {
				crc = crc<<1 ^ 0x07
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// flacCRC16Table is the table of the frame footer CRC (polynomial
// x^16+x^15+x^2+1, initial 0, most significant bit first). Read-only.
var flacCRC16Table = flacMakeCRC16Table()

func flacMakeCRC16Table() *[256]uint16 {
	t := new([256]uint16)
	for i := range 256 {
		c := uint16(i) << 8
		for range 8 {
			if c&0x8000 != 0 {
				c = c<<1 ^ 0x8005
			} else {
				c <<= 1
			}
		}
		t[i] = c
	}
	return t
}

func flacCRC16(b []byte) uint16 {
	var crc uint16
	for _, x := range b {
		crc = crc<<8 ^ flacCRC16Table[byte(crc>>8)^x]
	}
	return crc
}

// flacTailComplete reports whether tail, which runs from a frame header to
// the end of the stream, holds that whole frame: its CRC-16 footer matches
// at the end, or just before a trailing ID3v1 or APE tag.
func flacTailComplete(tail []byte, headerLen int) bool {
	ends := []int{len(tail)}
	if n := len(tail) - 128; n > 0 && bytes.HasPrefix(tail[n:], []byte("TAG")) {
		ends = append(ends, n)
	}
	if i := bytes.Index(tail, []byte("APETAGEX")); i > 0 {
		ends = append(ends, i)
	}
	for _, e := range ends {
		if e >= headerLen+3 && flacCRC16(tail[:e-2]) == uint16(tail[e-2])<<8|uint16(tail[e-1]) {
			return true
		}
	}
	return false
}
