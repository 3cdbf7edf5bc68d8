package audio

import (
	"bytes"
	"encoding/binary"

	"github.com/callimport/callimport/internal/call"
)

// block reads the header of a SimpleBlock or Block of size bytes (track
// number, timestamp, flags and, for Opus, the packet's TOC byte) and skips
// the rest.
func (p *mkvParser) block(simple bool, size int64) error {
	want := int(min(size, 32))
	hdr, err := p.s.peek(want)
	if err != nil {
		return err
	}
	if len(hdr) < want {
		return Reject("truncated: the file ends inside a WebM block")
	}
	track, n := ebmlParseVint(hdr)
	if n > 0 && len(hdr) >= n+3 && p.audio != nil && track >= 0 && uint64(track) == p.audio.number {
		rel := int16(binary.BigEndian.Uint16(hdr[n:]))
		flags := hdr[n+2]
		data := hdr[n+3:]
		ts := (p.clusterTC + float64(rel)) * p.scale / 1e9
		samples := 0
		if p.audio.codecID == "A_OPUS" {
			switch flags >> 1 & 3 {
			case 0: // no lacing: one packet
				samples = opusPacketSamples(data)
			case 2: // fixed-size lacing: count-1, then equal packets
				if len(data) >= 2 {
					samples = (int(data[0]) + 1) * opusPacketSamples(data[1:])
				}
			}
		}
		p.blocks++
		p.blockBytes += size
		if simple {
			dur := -1.0
			if samples > 0 {
				dur = float64(samples) / 48000
			}
			p.blockEnd(ts, dur)
		} else {
			p.groupTS, p.groupOpusSm = ts, samples
		}
	}
	if err := p.s.skip(size); err != nil {
		return p.s.truncated(err, "a WebM block")
	}
	return nil
}

// blockEnd records an audio block at ts seconds lasting dur seconds (-1
// when unknown: the spacing of the previous blocks is used).
func (p *mkvParser) blockEnd(ts, dur float64) {
	if p.blocks > 1 && ts > p.lastTS {
		p.lastDelta = ts - p.lastTS
	}
	if dur < 0 {
		dur = p.lastDelta
	}
	p.lastTS = ts
	p.endSec = max(p.endSec, ts+dur)
}

// opusPacketSamples returns the length of an Opus packet at 48 kHz from its
// TOC byte (RFC 6716 §3.1), or 0 if it cannot tell.
func opusPacketSamples(b []byte) int {
	if len(b) == 0 {
		return 0
	}
	toc := b[0]
	cfg := toc >> 3
	var fs int
	switch {
	case cfg < 12: // SILK: 10, 20, 40, 60 ms
		fs = [4]int{480, 960, 1920, 2880}[cfg&3]
	case cfg < 16: // hybrid: 10, 20 ms
		fs = [2]int{480, 960}[cfg&1]
	default: // CELT: 2.5, 5, 10, 20 ms
		fs = [4]int{120, 240, 480, 960}[cfg&3]
	}
	switch toc & 3 {
	case 0:
		return fs
	case 1, 2:
		return 2 * fs
	}
	if len(b) < 2 {
		return 0
	}
	return min(int(b[1]&0x3F)*fs, 5760)
}

// describe turns what the walk found into the result.
func (p *mkvParser) describe() (call.AudioInfo, error) {
	switch {
	case !p.sawSegment && p.docType != "" && p.docType != "webm" && p.docType != "matroska":
		return call.AudioInfo{}, Reject("not a WebM/Matroska file: the EBML doc type is %q", p.docType)
	case !p.sawSegment:
		return call.AudioInfo{}, Reject("not a WebM/Matroska file: no Segment found")
	case !p.tracksDone:
		return call.AudioInfo{}, Reject("the WebM/Matroska file has no Tracks element")
	case p.audio == nil:
		if err := p.chooseTrack(); err != nil {
			return call.AudioInfo{}, err
		}
	}
	a := p.audio
	dur := p.duration * p.scale / 1e9
	if dur <= 0 {
		if p.blocks == 0 {
			return call.AudioInfo{}, Reject("the WebM/Matroska file holds no audio blocks")
		}
		dur = p.endSec
	}
	info := call.AudioInfo{
		Format:          string(FormatWebM),
		DurationSeconds: dur,
		SampleRateHz:    mkvRate(a.rate),
		Channels:        int(min(a.channels, 1<<16)),
	}
	if a.codecID == "A_OPUS" {
		info.Codec, info.SampleRateHz = "opus", 48000
		if bytes.HasPrefix(a.private, []byte("OpusHead")) && len(a.private) >= 10 && a.private[9] > 0 {
			info.Channels = int(a.private[9])
		}
	} else {
		info.Codec = "vorbis"
		if id := mkvVorbisID(a.private); id != nil {
			info.SampleRateHz, info.Channels = id.sampleRate, id.channels
		}
	}
	switch {
	case p.blocks > 0:
		info.BitRate = pstreamBitRate(p.blockBytes, dur)
	case len(p.tracks) == 1 && p.segEnd != ebmlUnknownSize:
		info.BitRate = pstreamBitRate(p.segEnd-p.segStart, dur)
	}
	return info, nil
}

// mkvVorbisID reads the Vorbis identification header from a Xiph-laced
// CodecPrivate; nil if it is not there.
func mkvVorbisID(b []byte) *oggAudio {
	if len(b) < 3 || b[0] != 2 {
		return nil
	}
	i, first := 1, 0
	for i < len(b) && b[i] == 255 {
		first += 255
		i++
	}
	if i >= len(b) {
		return nil
	}
	first += int(b[i])
	i++
	for i < len(b) && b[i] == 255 { // the second packet's size
		i++
	}
	i++
	if i > len(b) || first > len(b)-i {
		return nil
	}
	a, _ := oggIdentify(b[i : i+first])
	return a
}

// mkvRate rounds a SamplingFrequency to Hz; 0 when it is not plausible.
func mkvRate(r float64) int {
	if !(r > 0 && r < 1e7) {
		return 0
	}
	return int(r + 0.5)
}
