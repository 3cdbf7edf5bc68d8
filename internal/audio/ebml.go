package audio

import (
	"encoding/binary"
	"math"
	"math/bits"
)

// EBML and Matroska element IDs (with their length markers) that the WebM
// parser reads.
const (
	ebmlIDHeader       = 0x1A45DFA3
	ebmlIDDocType      = 0x4282
	ebmlIDVoid         = 0xEC
	ebmlIDCRC32        = 0xBF
	mkvIDSegment       = 0x18538067
	mkvIDInfo          = 0x1549A966
	mkvIDTimecodeScale = 0x2AD7B1
	mkvIDDuration      = 0x4489
	mkvIDTracks        = 0x1654AE6B
	mkvIDTrackEntry    = 0xAE
	mkvIDTrackNumber   = 0xD7
	mkvIDTrackType     = 0x83
	mkvIDCodecID       = 0x86
	mkvIDCodecPrivate  = 0x63A2
	mkvIDAudio         = 0xE1
	mkvIDSamplingFreq  = 0xB5
	mkvIDChannels      = 0x9F
	mkvIDBitDepth      = 0x6264
	mkvIDCluster       = 0x1F43B675
	mkvIDTimecode      = 0xE7
	mkvIDSimpleBlock   = 0xA3
	mkvIDBlockGroup    = 0xA0
	mkvIDBlock         = 0xA1
	mkvIDBlockDuration = 0x9B
	mkvIDDiscardPad    = 0x75A2
	mkvIDPosition      = 0xA7
	mkvIDPrevSize      = 0xAB
	mkvIDSilentTracks  = 0x5854
	mkvIDEncryptedBlk  = 0xAF
)

// ebmlUnknownSize marks an element whose size field is all ones: it ends
// where an element that cannot be its child begins.
const ebmlUnknownSize = -1

// ebmlParseID decodes an element ID (1–4 bytes, marker kept) at the start
// of b. n is 0 if b does not start a valid ID or is too short.
func ebmlParseID(b []byte) (id uint32, n int) {
	if len(b) == 0 {
		return 0, 0
	}
	switch c := b[0]; {
	case c&0x80 != 0:
		n = 1
	case c&0x40 != 0:
		n = 2
	case c&0x20 != 0:
		n = 3
	case c&0x10 != 0:
		n = 4
	default:
		return 0, 0
	}
	if len(b) < n {
		return 0, 0
	}
	for _, x := range b[:n] {
		id = id<<8 | uint32(x)
	}
	return id, n
}

// ebmlParseVint decodes a variable-size integer (1–8 bytes, marker
// removed) at the start of b, as used for element sizes and track numbers.
// An all-ones value yields ebmlUnknownSize. n is 0 if b is invalid or too
// short.
func ebmlParseVint(b []byte) (v int64, n int) {
	if len(b) == 0 || b[0] == 0 {
		return 0, 0
	}
	n = bits.LeadingZeros8(b[0]) + 1
	if len(b) < n {
		return 0, 0
	}
	mask := byte(0xFF >> n)
	u := uint64(b[0] & mask)
	allOnes := b[0]&mask == mask
	for _, x := range b[1:n] {
		u = u<<8 | uint64(x)
		allOnes = allOnes && x == 0xFF
	}
	if allOnes {
		return ebmlUnknownSize, n
	}
	return int64(u), n
}

// ebmlUint decodes an unsigned integer element body (0–8 bytes).
func ebmlUint(b []byte) uint64 {
	var u uint64
	for _, x := range b[:min(len(b), 8)] {
		u = u<<8 | uint64(x)
	}
	return u
}

// ebmlFloat decodes a float element body (0, 4 or 8 bytes); other lengths
// yield 0.
func ebmlFloat(b []byte) float64 {
	switch len(b) {
	case 4:
		return float64(math.Float32frombits(binary.BigEndian.Uint32(b)))
	case 8:
		return math.Float64frombits(binary.BigEndian.Uint64(b))
	}
	return 0
}

// mkvChildOfCluster reports whether id may appear inside a Cluster, which
// decides where a Cluster of unknown size ends.
func mkvChildOfCluster(id uint32) bool {
	switch id {
	case mkvIDTimecode, mkvIDSimpleBlock, mkvIDBlockGroup, mkvIDPosition, mkvIDPrevSize,
		mkvIDSilentTracks, mkvIDEncryptedBlk, ebmlIDVoid, ebmlIDCRC32:
		return true
	}
	return false
}
