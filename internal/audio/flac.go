package audio

import (
	"context"
	"encoding/binary"
	"io"

	"github.com/callimport/callimport/internal/call"
)

// flacStreamInfo is the STREAMINFO metadata block.
type flacStreamInfo struct {
	minBlock, maxBlock int
	minFrame           int
	sampleRate         int
	channels           int
	bits               int
	total              int64 // samples per channel; 0 when unknown
}

// probeFLAC describes a native FLAC recording read from r (size bytes).
//
// It skips ID3v2 tags some taggers put in front, reads STREAMINFO (sample
// rate, channels, bits per sample, total samples), skips the other
// metadata blocks, then walks the frame headers to the end of the stream
// (sync code, CRC-8 and frame/sample numbers that follow on). The duration
// is STREAMINFO's total samples, or the end of the last frame when the
// total is unknown (0). A file whose frames stop before the total, or that
// ends inside its last frame (its CRC-16 footer does not match at the end
// of the file, nor before a trailing ID3v1 or APE tag), is rejected as
// truncated. The bit rate is the average over the frames.
func probeFLAC(ctx context.Context, r io.Reader, size int64) (call.AudioInfo, error) {
	s := newPStream(ctx, r, size)
	if _, err := mp3SkipID3(s); err != nil {
		return call.AudioInfo{}, err
	}
	var magic [4]byte
	if err := s.full(magic[:]); err != nil {
		return call.AudioInfo{}, s.truncated(err, "the FLAC marker")
	}
	if string(magic[:]) != "fLaC" {
		return call.AudioInfo{}, Reject("not a FLAC stream: the fLaC marker is missing")
	}
	si, err := flacReadMetadata(s)
	if err != nil {
		return call.AudioInfo{}, err
	}
	audioStart := s.off
	sc, err := flacScan(s, si)
	if err != nil {
		return call.AudioInfo{}, err
	}
	rate := float64(si.sampleRate)
	switch {
	case sc.frames == 0 && si.total > 0:
		return call.AudioInfo{}, Reject("truncated: the FLAC header declares %.1f s of audio but the file holds no audio frames",
			float64(si.total)/rate)
	case sc.frames == 0:
		return call.AudioInfo{}, Reject("no FLAC audio frames found")
	case si.total > 0 && sc.end < si.total:
		return call.AudioInfo{}, Reject("truncated: the FLAC header declares %.1f s of audio but the frames stop at %.1f s",
			float64(si.total)/rate, float64(sc.end)/rate)
	case sc.partial:
		return call.AudioInfo{}, Reject("truncated: the file ends inside the last FLAC frame")
	}
	total := si.total
	if total == 0 {
		total = sc.end
	}
	info := call.AudioInfo{
		Format:          string(FormatFLAC),
		Codec:           "flac",
		DurationSeconds: float64(total) / rate,
		SampleRateHz:    si.sampleRate,
		Channels:        si.channels,
		BitsPerSample:   si.bits,
	}
	info.BitRate = pstreamBitRate(s.off-audioStart, info.DurationSeconds)
	return info, nil
}

// flacReadMetadata reads the metadata blocks; STREAMINFO must come first.
func flacReadMetadata(s *pstream) (flacStreamInfo, error) {
	var si flacStreamInfo
	for i := 0; ; i++ {
		var hdr [4]byte
		if err := s.full(hdr[:]); err != nil {
			return si, s.truncated(err, "the FLAC metadata")
		}
		last := hdr[0]&0x80 != 0
		typ := hdr[0] & 0x7F
		n := int64(hdr[1])<<16 | int64(hdr[2])<<8 | int64(hdr[3])
		switch {
		case i == 0 && (typ != 0 || n < 34):
			return si, Reject("not a valid FLAC stream: STREAMINFO does not come first")
		case i == 0:
			var b [34]byte
			if err := s.full(b[:]); err != nil {
				return si, s.truncated(err, "the FLAC STREAMINFO block")
			}
			si = parseFLACStreamInfo(b[:])
			n -= 34
		case typ == 127:
			return si, Reject("not a valid FLAC stream: metadata block type 127 is invalid")
		}
		if s.beyondSize(s.off + n) {
			return si, Reject("truncated: a FLAC metadata block declares %s but the file holds %s",
				pstreamHuman(n), pstreamHuman(s.size-s.off))
		}
		if err := s.skip(n); err != nil {
			return si, s.truncated(err, "the FLAC metadata")
		}
		if last {
			break
		}
	}
	if si.sampleRate == 0 {
		return si, Reject("the FLAC header gives a sample rate of 0 Hz")
	}
	return si, nil
}

func parseFLACStreamInfo(b []byte) flacStreamInfo {
	packed := binary.BigEndian.Uint64(b[10:18])
	return flacStreamInfo{
		minBlock:   int(binary.BigEndian.Uint16(b[0:2])),
		maxBlock:   int(binary.BigEndian.Uint16(b[2:4])),
		minFrame:   int(b[4])<<16 | int(b[5])<<8 | int(b[6]),
		sampleRate: int(packed >> 44),
		channels:   int(packed>>41&7) + 1,
		bits:       int(packed>>36&31) + 1,
		total:      int64(packed & (1<<36 - 1)),
	}
}

// flacScanResult is what the frame walk found.
type flacScanResult struct {
	frames  int64
	end     int64 // samples per channel up to the end of the last frame
	partial bool  // the stream ends inside the last frame
}

// flacScanWindow is how far (in frames) a frame number may jump ahead of
// the expected one, to step over a damaged frame header.
const flacScanWindow = 64

// flacMaxTail bounds the copy of the latest frame kept to check its CRC-16
// footer at the end of the stream; the check is skipped for larger frames.
const flacMaxTail = 256 << 10

// flacScanner walks frame headers. It keeps the bytes of the latest frame
// (up to flacMaxTail) so that the last one can be checked whole.
type flacScanner struct {
	s        *pstream
	si       flacStreamInfo
	sc       flacScanResult
	first    flacFrameHeader
	fixed    int64  // block size of a fixed-blocksize stream
	expect   uint64 // next frame number (fixed) or sample number (variable)
	tail     []byte // the latest frame so far
	tailFull bool   // the latest frame outgrew flacMaxTail
}

// consume skips the first k bytes of b (the buffered bytes at the current
// position), adding them to the latest frame.
func (fs *flacScanner) consume(b []byte, k int) error {
	if !fs.tailFull {
		if len(fs.tail)+k > flacMaxTail {
			fs.tail, fs.tailFull = fs.tail[:0], true
		} else {
			fs.tail = append(fs.tail, b[:k]...)
		}
	}
	return fs.s.skip(int64(k))
}

// flacScan walks frame headers from the current position to the end of the
// stream.
func flacScan(s *pstream, si flacStreamInfo) (flacScanResult, error) {
	fs := &flacScanner{s: s, si: si}
	var last flacFrameHeader
	for {
		b, err := s.buffered()
		if err != nil {
			return fs.sc, err
		}
		if len(b) < 2 {
			if err := fs.consume(b, len(b)); err != nil {
				return fs.sc, err
			}
			break
		}
		i := flacFindSync(b)
		switch {
		case i < 0:
			err = fs.consume(b, len(b)-1)
		case i+flacMaxHeader > len(b) && i > 0:
			err = fs.consume(b, i) // bring the candidate to the front so its header fits
		default:
			h, ok := parseFLACFrameHeader(b[i:])
			if !ok || !fs.accept(h) {
				err = fs.consume(b, i+1)
				break
			}
			if err = fs.consume(b, i); err != nil {
				break
			}
			fs.tail, fs.tailFull = fs.tail[:0], false
			last = h
			err = fs.consume(b[i:], h.headerLen)
		}
		if err != nil {
			return fs.sc, err
		}
	}
	if fs.sc.frames > 0 {
		// The last frame must end with its CRC-16 footer and be at least
		// the smallest frame STREAMINFO announces.
		got := len(fs.tail)
		if !fs.tailFull && (got < max(fs.si.minFrame, last.headerLen+3) || !flacTailComplete(fs.tail, last.headerLen)) {
			fs.sc.partial = true
		}
	}
	return fs.sc, nil
}

// accept checks a frame header against STREAMINFO and the frame numbers so
// far, and counts it.
func (fs *flacScanner) accept(h flacFrameHeader) bool {
	if !flacConsistent(h, fs.si) {
		return false
	}
	sc := &fs.sc
	if sc.frames > 0 {
		window := uint64(flacScanWindow)
		if h.variable {
			window *= uint64(max(fs.si.maxBlock, 1))
		}
		if h.variable != fs.first.variable || h.number < fs.expect || h.number > fs.expect+window {
			return false
		}
	} else {
		fs.first = h
		fs.fixed = int64(h.blockSize)
		if fs.si.minBlock == fs.si.maxBlock && fs.si.maxBlock > 0 {
			fs.fixed = int64(fs.si.maxBlock)
		}
	}
	sc.frames++
	if h.variable {
		fs.expect = h.number + uint64(h.blockSize)
		sc.end = int64(fs.expect)
	} else {
		fs.expect = h.number + 1
		sc.end = int64(h.number)*fs.fixed + int64(h.blockSize)
	}
	return true
}
