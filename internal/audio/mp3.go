package audio

import (
	"bytes"
	"context"
	"errors"
	"io"

	"github.com/callimport/callimport/internal/call"
)

// mp3MaxLeadingJunk is how far past the ID3 tags probeMP3 searches for the
// first frame before it gives up.
const mp3MaxLeadingJunk = 4 << 20

// probeMP3 describes an MP3 recording read from r (size bytes).
//
// It skips any number of ID3v2 tags, finds the first frame that two more
// consistent frames confirm (resyncing over junk), reads a Xing/Info or
// VBRI header there, then walks every frame to the end of the stream,
// skipping junk and trailing ID3v1/APE/Lyrics tags. The duration comes
// from the Xing/VBRI frame count when one is present and agrees with the
// frames found (as ffprobe reports it), otherwise from the frames counted;
// the bit rate is the average over the frames.
//
// It rejects: no frame found, MPEG layer I/II, free-format streams, and
// files holding fewer frames than their Xing/VBRI header declares
// (truncated).
func probeMP3(ctx context.Context, r io.Reader, size int64) (call.AudioInfo, error) {
	s := newPStream(ctx, r, size)
	tags, err := mp3SkipID3(s)
	if err != nil {
		return call.AudioInfo{}, err
	}
	first, firstRaw, err := mp3FindFirst(s, tags)
	if err != nil {
		return call.AudioInfo{}, err
	}
	if first.layer != 3 {
		return call.AudioInfo{}, Reject("MPEG audio layer %s (%s) is not supported; only layer III (MP3) is",
			[4]string{"", "I", "II", "III"}[first.layer], first.codecName())
	}
	fb, err := s.peek(first.frameLen)
	if err != nil {
		return call.AudioInfo{}, err
	}
	vbr := parseMP3VBR(first, fb)
	if vbr.kind != "" {
		// The Xing/VBRI frame carries no audio.
		if err := s.skip(int64(first.frameLen)); err != nil {
			return call.AudioInfo{}, s.truncated(err, "the first MP3 frame")
		}
	}
	sc, err := mp3Scan(s, firstRaw)
	if err != nil {
		return call.AudioInfo{}, err
	}
	if sc.frames == 0 {
		if tags > 0 {
			return call.AudioInfo{}, Reject("no audio frames found after the ID3 tag")
		}
		return call.AudioInfo{}, Reject("no MPEG audio frames found")
	}
	if d := vbr.frames; d > sc.frames {
		missing := d - sc.frames
		if sc.partial || missing > max(1, d/100) {
			return call.AudioInfo{}, Reject("truncated: the %s header declares %d frames (%.1f s) but the file holds %d (%.1f s)",
				vbr.kind, d, float64(d*int64(first.samples))/float64(first.sampleRate),
				sc.frames, float64(sc.samples)/float64(first.sampleRate))
		}
	}
	samples := sc.samples
	if d := vbr.frames; d > 0 && sc.frames <= d+d/16 {
		// ffprobe trusts the header unless the file is much longer
		// (concatenated files).
		samples = d * int64(first.samples)
	}
	dur := float64(samples) / float64(first.sampleRate)
	info := call.AudioInfo{
		Format:          string(FormatMP3),
		Codec:           "mp3",
		DurationSeconds: dur,
		SampleRateHz:    first.sampleRate,
		Channels:        first.channels,
	}
	info.BitRate = pstreamBitRate(sc.bytes, float64(sc.samples)/float64(first.sampleRate))
	return info, nil
}

// mp3FindFirst positions s at the first confirmed frame and returns its
// header.
func mp3FindFirst(s *pstream, tags int) (mp3Frame, uint32, error) {
	start := s.off
	sawFree := false
	for s.off-start <= mp3MaxLeadingJunk {
		b, err := s.peek(10)
		if err != nil {
			return mp3Frame{}, 0, err
		}
		if len(b) < 4 {
			break
		}
		if h, raw, ok := parseMP3Frame(b); ok {
			if h.frameLen == 0 {
				sawFree = true
			} else {
				ok, err := mp3Confirm(s, h, raw)
				if err != nil {
					return mp3Frame{}, 0, err
				}
				if ok {
					return h, raw, nil
				}
			}
		}
		if n := mp3ID3Size(b); n > 0 {
			if err := s.skip(n); err != nil {
				return mp3Frame{}, 0, s.truncated(err, "an ID3 tag")
			}
			tags++
			continue
		}
		if err := mp3SkipJunk(s); err != nil {
			return mp3Frame{}, 0, err
		}
	}
	switch {
	case sawFree:
		return mp3Frame{}, 0, Reject("free-format MP3 (no bit rate in the frame headers) is not supported")
	case tags > 0:
		return mp3Frame{}, 0, Reject("no audio frames found after the ID3 tag")
	default:
		return mp3Frame{}, 0, Reject("no MPEG audio frames found")
	}
}

// mp3Confirm reports whether the frame h at the current position is
// followed by two consistent frames (or by the end of the stream or a
// trailing tag).
func mp3Confirm(s *pstream, h mp3Frame, raw uint32) (bool, error) {
	pos := 0
	cur := h
	for range 2 {
		pos += cur.frameLen
		b, err := s.peek(pos + 32)
		if err != nil {
			return false, err
		}
		if len(b) < pos {
			return false, nil // the frame itself is cut short
		}
		rest := b[pos:]
		if len(rest) == 0 || mp3TrailerLen(rest) > 0 {
			return true, nil
		}
		nh, nraw, ok := parseMP3Frame(rest)
		if !ok || nraw&mp3SameMask != raw&mp3SameMask || nh.frameLen == 0 {
			return false, nil
		}
		cur = nh
	}
	return true, nil
}

// mp3SkipJunk skips to the next 0xFF byte after the current one.
func mp3SkipJunk(s *pstream) error {
	b, err := s.buffered()
	if err != nil {
		return err
	}
	if len(b) == 0 {
		return nil
	}
	n := len(b)
	if i := bytes.IndexByte(b[1:], 0xFF); i >= 0 {
		n = i + 1
	}
	return s.skip(int64(n))
}

// mp3ScanResult sums the audio frames found.
type mp3ScanResult struct {
	frames  int64
	samples int64
	bytes   int64
	partial bool // the stream ends inside a frame
}

// mp3Scan walks the frames from the current position to the end of the
// stream. Frames must match ref on the constant header bits; junk and
// trailing tags are skipped, and after junk a frame needs confirmation.
func mp3Scan(s *pstream, ref uint32) (mp3ScanResult, error) {
	var sc mp3ScanResult
	synced := true
	for {
		b, err := s.peek(36)
		if err != nil {
			return sc, err
		}
		if len(b) == 0 {
			return sc, nil
		}
		if h, raw, ok := parseMP3Frame(b); ok && raw&mp3SameMask == ref&mp3SameMask && h.frameLen > 0 {
			accept := synced
			if !accept {
				if accept, err = mp3Confirm(s, h, raw); err != nil {
					return sc, err
				}
			}
			if accept {
				if err := s.skip(int64(h.frameLen)); err != nil {
					if errors.Is(err, errPStreamEOF) {
						sc.partial = true
						return sc, nil
					}
					return sc, err
				}
				sc.frames++
				sc.samples += int64(h.samples)
				sc.bytes += int64(h.frameLen)
				synced = true
				continue
			}
		}
		synced = false
		if n := mp3TrailerLen(b); n > 0 {
			if err := s.skip(n); err != nil {
				if errors.Is(err, errPStreamEOF) {
					return sc, nil
				}
				return sc, err
			}
			continue
		}
		if err := mp3SkipJunk(s); err != nil {
			return sc, err
		}
	}
}
