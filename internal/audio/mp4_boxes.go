package audio

import (
	"encoding/binary"
	"errors"

	"github.com/callimport/callimport/internal/call"
)

// fixed reads the small full boxes whose fields sit at fixed offsets.
func (p *mp4Parser) fixed(typ string, b []byte) {
	if len(b) < 4 {
		return
	}
	v1 := b[0] == 1
	u32 := func(off int) uint64 {
		if off+4 > len(b) {
			return 0
		}
		return uint64(binary.BigEndian.Uint32(b[off:]))
	}
	u64 := func(off int) uint64 {
		if off+8 > len(b) {
			return 0
		}
		return binary.BigEndian.Uint64(b[off:])
	}
	scaleDur := func() (uint64, uint64) {
		if v1 {
			return u32(20), mp4KnownDur(u64(24), true)
		}
		return u32(12), mp4KnownDur(u32(16), false)
	}
	switch typ {
	case "mvhd":
		p.mvhdScale, p.mvhdDur = scaleDur()
	case "mdhd":
		if p.cur != nil {
			p.cur.mdhdScale, p.cur.mdhdDur = scaleDur()
		}
	case "tkhd":
		if p.cur != nil {
			if v1 {
				p.cur.id = uint32(u32(20))
			} else {
				p.cur.id = uint32(u32(12))
			}
		}
	case "hdlr":
		if p.cur != nil && len(b) >= 12 {
			p.cur.handler = string(b[8:12])
		}
	case "mehd":
		if v1 {
			p.mehdDur = u64(4)
		} else {
			p.mehdDur = u32(4)
		}
	case "trex":
		if t := p.trackByID(uint32(u32(4))); t != nil {
			t.trexDur, t.trexSize = uint32(u32(12)), uint32(u32(16))
		}
	case "tfhd":
		flags := u32(0) & 0xFFFFFF
		t := p.trackByID(uint32(u32(4)))
		p.trafTrack = t
		if t == nil {
			return
		}
		p.tfDefDur, p.tfDefLen = t.trexDur, t.trexSize
		off := 8
		if flags&0x01 != 0 {
			off += 8
		}
		if flags&0x02 != 0 {
			off += 4
		}
		if flags&0x08 != 0 {
			p.tfDefDur = uint32(u32(off))
			off += 4
		}
		if flags&0x10 != 0 {
			p.tfDefLen = uint32(u32(off))
		}
	}
}

// mp4KnownDur maps the all-ones "unknown duration" to 0.
func mp4KnownDur(d uint64, wide bool) uint64 {
	if (wide && d == ^uint64(0)) || (!wide && d == 0xFFFFFFFF) {
		return 0
	}
	return d
}

func (p *mp4Parser) trackByID(id uint32) *mp4Track {
	for i := range p.tracks {
		if p.tracks[i].id == id {
			return &p.tracks[i]
		}
	}
	return nil
}

// mp4Fields reads 32- and 64-bit fields from a box streaming, never past
// its end.
type mp4Fields struct {
	p    *mp4Parser
	left int64 // bytes left in the box; < 0 when it runs to the end
	err  error
	buf  [8]byte
}

func (f *mp4Fields) take(n int) []byte {
	if f.err != nil || (f.left >= 0 && f.left < int64(n)) {
		if f.err == nil {
			f.err = errMP4Short
		}
		return nil
	}
	if err := f.p.s.full(f.buf[:n]); err != nil {
		f.err = err
		return nil
	}
	if f.left >= 0 {
		f.left -= int64(n)
	}
	return f.buf[:n]
}

func (f *mp4Fields) u32() uint64 {
	if b := f.take(4); b != nil {
		return uint64(binary.BigEndian.Uint32(b))
	}
	return 0
}

func (f *mp4Fields) u64() uint64 {
	if b := f.take(8); b != nil {
		return binary.BigEndian.Uint64(b)
	}
	return 0
}

// sumU32 adds up count 32-bit fields, reading them in bulk from the buffer.
func (f *mp4Fields) sumU32(count uint64) int64 {
	var sum int64
	for count > 0 && f.err == nil {
		n := int64(min(count, 16<<10)) * 4
		if f.left >= 0 {
			n = min(n, f.left&^3)
		}
		if n == 0 {
			f.err = errMP4Short
			break
		}
		b, err := f.p.s.peek(int(n))
		if err != nil {
			f.err = err
			break
		}
		if len(b) < int(n) {
			n = int64(len(b) &^ 3)
			if n == 0 {
				f.err = errPStreamEOF
				break
			}
		}
		for k := int64(0); k < n; k += 4 {
			sum += int64(binary.BigEndian.Uint32(b[k:]))
		}
		if err := f.p.s.skip(n); err != nil {
			f.err = err
			break
		}
		if f.left >= 0 {
			f.left -= n
		}
		count -= uint64(n / 4)
	}
	return sum
}

// errMP4Short means a table ended before the count its header gave; the
// entries read so far are kept.
var errMP4Short = errors.New("mp4 table shorter than its count")

// done skips what is left of the box and reports a read failure.
func (f *mp4Fields) done() error {
	switch {
	case f.err == nil || errors.Is(f.err, errMP4Short):
		return f.p.skipBox(f.left)
	default:
		return f.p.s.truncated(f.err, "an MP4 box")
	}
}

// elst sums the durations of the non-empty edits of the current track.
func (p *mp4Parser) elst(n int64) error {
	f := &mp4Fields{p: p, left: n}
	v1 := f.u32()>>24 == 1
	count := f.u32()
	var sum uint64
	for i := uint64(0); i < count && f.err == nil; i++ {
		var dur uint64
		var empty bool
		if v1 {
			dur, empty = f.u64(), f.u64() == ^uint64(0)
		} else {
			dur, empty = f.u32(), f.u32() == 0xFFFFFFFF
		}
		f.u32() // rate
		if f.err == nil && !empty {
			sum += dur
		}
	}
	if p.cur != nil {
		p.cur.elstDur = sum
	}
	return f.done()
}

// stsz sums the sample sizes of the current track.
func (p *mp4Parser) stsz(n int64) error {
	f := &mp4Fields{p: p, left: n}
	f.u32()
	size, count := f.u32(), f.u32()
	var sum int64
	if size != 0 {
		sum = int64(size) * int64(count)
	} else {
		sum = f.sumU32(count)
	}
	if p.cur != nil {
		p.cur.sampleBytes = sum
	}
	return f.done()
}

// trun adds a track run's sample durations and sizes to its track.
func (p *mp4Parser) trun(n int64) error {
	f := &mp4Fields{p: p, left: n}
	flags := f.u32() & 0xFFFFFF
	count := f.u32()
	if flags&0x01 != 0 {
		f.u32()
	}
	if flags&0x04 != 0 {
		f.u32()
	}
	t := p.trafTrack
	for i := uint64(0); i < count && f.err == nil; i++ {
		dur, size := uint64(p.tfDefDur), int64(p.tfDefLen)
		if flags&0x100 != 0 {
			dur = f.u32()
		}
		if flags&0x200 != 0 {
			size = int64(f.u32())
		}
		if flags&0x400 != 0 {
			f.u32()
		}
		if flags&0x800 != 0 {
			f.u32()
		}
		if f.err == nil && t != nil {
			t.fragDur += dur
			t.fragBytes += size
		}
		if flags&0xF00 == 0 && t != nil {
			// Every sample takes the defaults: add the rest at once.
			left := count - i - 1
			t.fragDur += left * uint64(p.tfDefDur)
			t.fragBytes += int64(left) * int64(p.tfDefLen)
			break
		}
	}
	return f.done()
}

// chooseTrack picks the first sound track once moov is read, and refuses
// files without a usable one.
func (p *mp4Parser) chooseTrack() error {
	var handlers []string
	for i := range p.tracks {
		if p.tracks[i].handler == "soun" {
			p.audio = &p.tracks[i]
			break
		}
		handlers = append(handlers, p.tracks[i].handler)
	}
	if p.audio == nil {
		if len(handlers) == 0 {
			return Reject("the MP4 file has no tracks")
		}
		return Reject("the MP4 file has no audio track (track types: %v)", handlers)
	}
	if _, err := mp4Codec(p.audio.entry); err != nil {
		return err
	}
	return nil
}

// describe turns what the walk found into the result.
func (p *mp4Parser) describe() (call.AudioInfo, error) {
	switch {
	case !p.sawMoov:
		return call.AudioInfo{}, Reject("the MP4 file has no moov box (the index describing the audio); the recording was probably not finished")
	case !p.moovDone:
		return call.AudioInfo{}, Reject("truncated: the file ends inside the moov box")
	case p.audio == nil:
		if err := p.chooseTrack(); err != nil {
			return call.AudioInfo{}, err
		}
	}
	a := p.audio
	codec, err := mp4Codec(a.entry)
	if err != nil {
		return call.AudioInfo{}, err
	}
	var dur float64
	switch {
	case a.elstDur > 0 && p.mvhdScale > 0:
		dur = float64(a.elstDur) / float64(p.mvhdScale)
	case a.mdhdDur > 0 && a.mdhdScale > 0:
		dur = float64(a.mdhdDur) / float64(a.mdhdScale)
	case p.mehdDur > 0 && p.mvhdScale > 0:
		dur = float64(p.mehdDur) / float64(p.mvhdScale)
	case a.fragDur > 0 && a.mdhdScale > 0:
		dur = float64(a.fragDur) / float64(a.mdhdScale)
	case p.mvhdDur > 0 && p.mvhdScale > 0:
		dur = float64(p.mvhdDur) / float64(p.mvhdScale)
	}
	e := a.entry
	info := call.AudioInfo{
		Format:          string(FormatMP4),
		Codec:           codec,
		DurationSeconds: dur,
		SampleRateHz:    e.sampleRate,
		Channels:        e.channels,
	}
	if e.asc.rate > 0 {
		info.SampleRateHz = e.asc.rate
	}
	if info.SampleRateHz == 0 && a.mdhdScale < 1<<24 {
		info.SampleRateHz = int(a.mdhdScale)
	}
	if e.asc.channels > 0 {
		info.Channels = e.asc.channels
	}
	info.BitRate = pstreamBitRate(a.sampleBytes+a.fragBytes, dur)
	if info.BitRate == 0 && e.avgBitrate < 1e9 {
		info.BitRate = int(e.avgBitrate)
	}
	return info, nil
}
