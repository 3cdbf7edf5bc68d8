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
// ends inside its last frame, is rejected as truncated.
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

// flacScan walks frame headers from the current position to the end of the
// stream.
func flacScan(s *pstream, si flacStreamInfo) (flacScanResult, error) {
	var (
		sc        flacScanResult
		first     flacFrameHeader
		fixed     int64  // block size of a fixed-blocksize stream
		expect    uint64 // next frame number (fixed) or sample number (variable)
		lastStart int64  // stream offset of the last accepted header
	)
	maxBlock := uint64(max(si.maxBlock, 1))
	for {
		b, err := s.peek(s.window())
		if err != nil {
			return sc, err
		}
		if len(b) < 2 {
			break
		}
		i := flacFindSync(b)
		if i < 0 {
			if err := s.skip(int64(len(b) - 1)); err != nil {
				return sc, err
			}
			continue
		}
		if i+flacMaxHeader > len(b) && i > 0 {
			// Bring the candidate to the front so its whole header fits.
			if err := s.skip(int64(i)); err != nil {
				return sc, err
			}
			continue
		}
		h, ok := parseFLACFrameHeader(b[i:])
		ok = ok && flacConsistent(h, si)
		if ok && sc.frames > 0 {
			window := uint64(flacScanWindow)
			if h.variable {
				window *= maxBlock
			}
			ok = h.variable == first.variable && h.number >= expect && h.number <= expect+window
		}
		if !ok {
			if err := s.skip(int64(i + 1)); err != nil {
				return sc, err
			}
			continue
		}
		if sc.frames == 0 {
			first = h
			fixed = int64(h.blockSize)
			if si.minBlock == si.maxBlock && si.maxBlock > 0 {
				fixed = int64(si.maxBlock)
			}
		}
		sc.frames++
		if h.variable {
			expect = h.number + uint64(h.blockSize)
			sc.end = int64(expect)
		} else {
			expect = h.number + 1
			sc.end = int64(h.number)*fixed + int64(h.blockSize)
		}
		lastStart = s.off + int64(i)
		if len(b) < s.window() {
			// The stream ends within the buffer: if this is the last
			// frame, its CRC-16 footer must be there.
			sc.partial = !flacTailComplete(b[i:], h.headerLen)
		}
		if err := s.skip(int64(i + h.headerLen)); err != nil {
			return sc, err
		}
	}
	if _, err := s.drain(); err != nil {
		return sc, err
	}
	if sc.frames > 0 {
		// A frame is at least its header, one subframe byte and a CRC-16.
		minLen := int64(max(si.minFrame, 0))
		if got := s.off - lastStart; got < minLen || got < 6+1+2 {
			sc.partial = true
		}
	}
	return sc, nil
}
