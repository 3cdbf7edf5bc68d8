package audio

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"

	"github.com/callimport/callimport/internal/call"
)

// oggMaxBadPages is how many candidate pages may fail their checksum
// before the stream is refused as damaged: each costs a checksum of up to
// 64 KiB, and hostile input could otherwise hold a candidate every 4 bytes.
const oggMaxBadPages = 1000

// oggNoGranule is the granule position of a page on which no packet ends.
const oggNoGranule = ^uint64(0)

// oggAudio is the logical stream probeOgg describes.
type oggAudio struct {
	serial      uint32
	codec       string // "opus" or "vorbis"
	sampleRate  int    // reported rate: 48000 for Opus, as ffprobe does
	granuleRate int    // granule positions count samples at this rate
	channels    int
	preSkip     uint64
	granule     uint64 // last granule position seen; oggNoGranule if none
	bytes       int64  // bytes of the stream's pages
}

// probeOgg describes an Ogg recording read from r (size bytes).
//
// It walks every page to the end of the stream, checking each page's CRC
// and resyncing on the capture pattern past damaged pages. The first Opus
// or Vorbis stream (from the identification packet of its first page) is
// described: the duration is its last granule position (for Opus, less the
// pre-skip, at 48 kHz). Sample rate is 48000 for Opus, as ffprobe reports;
// the bit rate is the average over the stream's pages.
//
// It rejects: no valid page, no Opus or Vorbis stream (naming the codec
// found, e.g. Theora or Speex), a stream with no granule position, and a
// file that ends inside a page (truncated).
func probeOgg(ctx context.Context, r io.Reader, size int64) (call.AudioInfo, error) {
	s := newPStream(ctx, r, size)
	var (
		audio *oggAudio
		other string // first codec found that is not described
		pages int
		bad   int // candidate pages that failed their checksum
	)
	for {
		b, err := s.peek(27)
		if err != nil {
			return call.AudioInfo{}, err
		}
		if len(b) == 0 {
			break
		}
		if len(b) < 27 || string(b[:4]) != "OggS" || b[4] != 0 {
			if len(b) < 27 && string(b[:min(4, len(b))]) == "OggS"[:min(4, len(b))] {
				return call.AudioInfo{}, Reject("truncated: the file ends inside an Ogg page header")
			}
			if err := oggResync(s); err != nil {
				return call.AudioInfo{}, err
			}
			continue
		}
		nseg := int(b[26])
		if b, err = s.peek(27 + nseg); err != nil {
			return call.AudioInfo{}, err
		}
		if len(b) < 27+nseg {
			return call.AudioInfo{}, Reject("truncated: the file ends inside an Ogg page header")
		}
		body := 0
		for _, l := range b[27 : 27+nseg] {
			body += int(l)
		}
		total := 27 + nseg + body
		page, err := s.peek(total)
		if err != nil {
			return call.AudioInfo{}, err
		}
		if len(page) < total {
			return call.AudioInfo{}, Reject("truncated: the file ends inside an Ogg page (%d of %d bytes)", len(page), total)
		}
		if oggPageCRC(page) != binary.LittleEndian.Uint32(page[22:26]) {
			if bad++; bad > oggMaxBadPages {
				return call.AudioInfo{}, Reject("the Ogg stream is damaged: more than %d pages fail their checksum", oggMaxBadPages)
			}
			if err := oggResync(s); err != nil {
				return call.AudioInfo{}, err
			}
			continue
		}
		pages++
		serial := binary.LittleEndian.Uint32(page[14:18])
		granule := binary.LittleEndian.Uint64(page[6:14])
		if page[5]&0x02 != 0 { // beginning of stream: the first packet names the codec
			first := oggFirstPacket(page[27:27+nseg], page[27+nseg:])
			switch a, name := oggIdentify(first); {
			case a != nil && audio == nil:
				a.serial = serial
				audio = a
			case a != nil, name == "":
				// a second audio stream, or a Skeleton/unknown stream
			case other == "":
				other = name
			}
		}
		if audio != nil && serial == audio.serial {
			audio.bytes += int64(total)
			if granule != oggNoGranule {
				audio.granule = granule
			}
		}
		if err := s.skip(int64(total)); err != nil {
			return call.AudioInfo{}, err
		}
	}
	return oggDescribe(audio, other, pages)
}

// oggDescribe turns what the page walk found into the result.
func oggDescribe(a *oggAudio, other string, pages int) (call.AudioInfo, error) {
	switch {
	case pages == 0:
		return call.AudioInfo{}, Reject("not an Ogg stream: no valid Ogg page found")
	case a == nil && other != "":
		return call.AudioInfo{}, Reject("Ogg stream with codec %s is not supported", other)
	case a == nil:
		return call.AudioInfo{}, Reject("Ogg stream with an unknown codec: no Opus or Vorbis stream found")
	case a.granule == oggNoGranule || a.granule == 0:
		return call.AudioInfo{}, Reject("the Ogg %s stream holds no audio pages", a.codec)
	}
	samples := a.granule
	if samples > a.preSkip {
		samples -= a.preSkip
	} else {
		samples = 0
	}
	info := call.AudioInfo{
		Format:          string(FormatOgg),
		Codec:           a.codec,
		DurationSeconds: float64(samples) / float64(a.granuleRate),
		SampleRateHz:    a.sampleRate,
		Channels:        a.channels,
	}
	info.BitRate = pstreamBitRate(a.bytes, info.DurationSeconds)
	return info, nil
}

// oggResync skips to the next capture pattern after the current byte.
func oggResync(s *pstream) error {
	b, err := s.buffered()
	if err != nil {
		return err
	}
	if len(b) == 0 {
		return nil
	}
	n := max(len(b)-3, 1)
	if i := bytes.Index(b[1:], []byte("OggS")); i >= 0 {
		n = i + 1
	}
	return s.skip(int64(n))
}

// oggFirstPacket returns the first packet (or its part on this page) of a
// page with lacing values lacing and body body.
func oggFirstPacket(lacing, body []byte) []byte {
	n := 0
	for _, l := range lacing {
		n += int(l)
		if l < 255 {
			break
		}
	}
	return body[:min(n, len(body))]
}

// oggIdentify reads the identification packet of a stream. It returns the
// audio description for Opus and Vorbis, otherwise the codec's name (""
// for Skeleton and unknown streams).
func oggIdentify(p []byte) (*oggAudio, string) {
	switch {
	case bytes.HasPrefix(p, []byte("OpusHead")):
		if len(p) < 19 || p[8]>>4 != 0 || p[9] == 0 {
			return nil, "Opus (with a malformed header)"
		}
		return &oggAudio{
			codec: "opus", sampleRate: 48000, granuleRate: 48000,
			channels: int(p[9]),
			preSkip:  uint64(binary.LittleEndian.Uint16(p[10:12])),
			granule:  oggNoGranule,
		}, ""
	case bytes.HasPrefix(p, []byte("\x01vorbis")):
		if len(p) < 30 || binary.LittleEndian.Uint32(p[7:11]) != 0 || p[11] == 0 {
			return nil, "Vorbis (with a malformed header)"
		}
		rate := binary.LittleEndian.Uint32(p[12:16])
		if rate == 0 || rate > 1<<24 {
			return nil, "Vorbis (with a malformed header)"
		}
		return &oggAudio{
			codec: "vorbis", sampleRate: int(rate), granuleRate: int(rate),
			channels: int(p[11]),
			granule:  oggNoGranule,
		}, ""
	}
	for _, c := range []struct{ magic, name string }{
		{"\x80theora", "Theora"},
		{"Speex   ", "Speex"},
		{"\x7FFLAC", "FLAC"},
		{"fLaC", "FLAC"},
		{"CELT    ", "CELT"},
		{"PCM     ", "PCM"},
		{"OVP80", "VP8"},
		{"BBCD\x00", "Dirac"},
		{"\x80kate", "Kate"},
		{"\x01video", "OGM video"},
		{"\x01text", "OGM text"},
		{"\x01audio", "OGM audio"},
	} {
		if bytes.HasPrefix(p, []byte(c.magic)) {
			return nil, c.name
		}
	}
	return nil, ""
}
