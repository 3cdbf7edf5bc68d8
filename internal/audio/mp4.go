package audio

import (
	"context"
	"encoding/binary"
	"io"

	"github.com/callimport/callimport/internal/call"
)

// Limits of the MP4 parser: the moov box (the index) is refused beyond
// mp4MaxMoov; boxes nest at most mp4MaxDepth deep; at most mp4MaxTracks
// tracks are remembered; an stsd box is read up to mp4MaxStsd bytes.
const (
	mp4MaxMoov   = 64 << 20
	mp4MaxDepth  = 12
	mp4MaxTracks = 64
	mp4MaxStsd   = 64 << 10
)

// mp4ToEnd is the end of a box that extends to the end of the file.
const mp4ToEnd = -1

// mp4Track is what the parser learns about one trak.
type mp4Track struct {
	id          uint32
	handler     string // "soun" for audio
	mdhdScale   uint64
	mdhdDur     uint64
	elstDur     uint64 // movie timescale; sum of the non-empty edits
	entry       mp4SampleEntry
	sampleBytes int64
	// fragmented files
	trexDur, trexSize uint32
	fragDur           uint64
	fragBytes         int64
}

// mp4Open is a box being read; end is mp4ToEnd for a box of size 0.
type mp4Open struct {
	typ string
	end int64
}

// mp4Parser holds the state of one streaming walk.
type mp4Parser struct {
	s          *pstream
	stack      []mp4Open
	sawMoov    bool
	moovDone   bool
	sawMdat    bool
	fragmented bool
	mvhdScale  uint64
	mvhdDur    uint64
	mehdDur    uint64
	tracks     []mp4Track
	cur        *mp4Track // the trak being read
	audio      *mp4Track
	// the traf being read
	trafTrack          *mp4Track
	tfDefDur, tfDefLen uint32
}

// probeMP4 describes an MP4/M4A recording read from r (size bytes).
//
// It walks the boxes streaming, wherever the moov box is (at the start or,
// without faststart, after mdat, which it reads through and discards), and
// reads mvhd, and for each trak tkhd, elst, mdhd, hdlr, stsd (the sample
// entry: mp4a with esds and its AudioSpecificConfig) and stsz. The first
// sound track is described; its duration is that of its edit list (as
// ffprobe reports it), else mdhd's, else that of its fragments (mehd, or
// the sum of the trun sample durations). 64-bit box sizes and boxes that
// extend to the end of the file are handled. It stops once the moov box is
// read and an mdat box has been checked against the file size.
//
// It rejects: no moov (an unfinished recording), a moov over 64 MiB, no
// sound track, a codec other than AAC (naming it), boxes smaller than their
// header or overrunning their parent, nesting deeper than 12, and boxes
// running past the end of the file (truncated).
func probeMP4(ctx context.Context, r io.Reader, size int64) (call.AudioInfo, error) {
	p := &mp4Parser{s: newPStream(ctx, r, size)}
	if err := p.walk(); err != nil {
		return call.AudioInfo{}, err
	}
	return p.describe()
}

// walk reads boxes until the stream ends or enough is known.
func (p *mp4Parser) walk() error {
	s := p.s
	for {
		for len(p.stack) > 0 {
			top := p.stack[len(p.stack)-1]
			if top.end == mp4ToEnd || s.off < top.end {
				break
			}
			if err := p.close(); err != nil {
				return err
			}
		}
		if p.enough() {
			return nil
		}
		b, err := s.peek(16)
		if err != nil {
			return err
		}
		if len(b) == 0 {
			for _, o := range p.stack {
				if o.end != mp4ToEnd && o.end > s.off {
					return Reject("truncated: the file ends inside the %s box", o.typ)
				}
			}
			for len(p.stack) > 0 {
				if err := p.close(); err != nil {
					return err
				}
			}
			return nil
		}
		parentEnd := int64(mp4ToEnd)
		if len(p.stack) > 0 {
			parentEnd = p.stack[len(p.stack)-1].end
		}
		if len(b) < 8 {
			return Reject("truncated: the file ends inside an MP4 box header")
		}
		size := int64(binary.BigEndian.Uint32(b))
		typ := mp4Type(b[4:8])
		hdr := int64(8)
		var end int64
		switch size {
		case 1:
			if len(b) < 16 {
				return Reject("truncated: the file ends inside an MP4 box header")
			}
			u := binary.BigEndian.Uint64(b[8:16])
			if u > 1<<62 {
				return Reject("malformed MP4 file: the %s box at byte %d declares %d bytes", typ, s.off, u)
			}
			size, hdr = int64(u), 16
			end = s.off + size
		case 0:
			end = parentEnd // extends to the end of its parent, or of the file
			if end == mp4ToEnd && s.size > 0 {
				end = s.size
			}
		default:
			end = s.off + size
		}
		if size != 0 && size < hdr {
			return Reject("malformed MP4 file: the %s box at byte %d is %d bytes, shorter than its header", typ, s.off, size)
		}
		if end != mp4ToEnd && parentEnd != mp4ToEnd && end > parentEnd {
			return Reject("malformed MP4 file: the %s box at byte %d overruns its parent", typ, s.off)
		}
		if end != mp4ToEnd && s.beyondSize(end) {
			return Reject("truncated: the %s box declares %s but the file holds %s",
				typ, pstreamHuman(size), pstreamHuman(max(0, s.size-s.off)))
		}
		if err := s.skip(hdr); err != nil {
			return s.truncated(err, "an MP4 box header")
		}
		if err := p.box(typ, end); err != nil {
			return err
		}
	}
}

// mp4Type renders a box type for messages: printable ASCII as is, anything
// else in hex.
func mp4Type(b []byte) string {
	for _, c := range b {
		if c < 0x20 || c > 0x7E {
			return "0x" + mp4Hex(b)
		}
	}
	return string(b)
}

func mp4Hex(b []byte) string {
	const digits = "0123456789ABCDEF"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

// enough reports whether the walk can stop: moov is read, an audio track
// chosen, its duration does not depend on fragments yet to come, and an
// mdat was checked against the file size.
func (p *mp4Parser) enough() bool {
	if !p.moovDone || p.audio == nil || !p.sawMdat || p.s.size <= 0 {
		return false
	}
	return !p.fragmented || p.mehdDur > 0 || p.audio.elstDur > 0 || p.audio.mdhdDur > 0
}

// remaining returns the bytes left in the current box (up to the end of the
// stream for a box of size 0, which the caller reads to the end).
func (p *mp4Parser) remaining(end int64) int64 {
	if end == mp4ToEnd {
		return -1
	}
	return end - p.s.off
}

// push enters a container box.
func (p *mp4Parser) push(typ string, end int64) error {
	if len(p.stack) >= mp4MaxDepth {
		return Reject("malformed MP4 file: boxes nested deeper than %d levels", mp4MaxDepth)
	}
	p.stack = append(p.stack, mp4Open{typ: typ, end: end})
	return nil
}

// close leaves the innermost box.
func (p *mp4Parser) close() error {
	top := p.stack[len(p.stack)-1]
	p.stack = p.stack[:len(p.stack)-1]
	switch top.typ {
	case "trak":
		p.cur = nil
	case "traf":
		p.trafTrack = nil
	case "moov":
		p.moovDone = true
		return p.chooseTrack()
	}
	return nil
}

// box handles the box whose header was just consumed; it ends at end.
func (p *mp4Parser) box(typ string, end int64) error {
	parent := ""
	if len(p.stack) > 0 {
		parent = p.stack[len(p.stack)-1].typ
	}
	n := p.remaining(end)
	switch parent + "/" + typ {
	case "/moov":
		if p.sawMoov {
			break
		}
		if n < 0 || n > mp4MaxMoov {
			return Reject("the MP4 index (moov box) is %s; at most %s is accepted", mp4Size(n), pstreamHuman(mp4MaxMoov))
		}
		p.sawMoov = true
		return p.push(typ, end)
	case "/mdat":
		p.sawMdat = true
		if p.enough() {
			return nil // the walk stops before reading the media data
		}
	case "moov/trak":
		if len(p.tracks) < mp4MaxTracks {
			p.tracks = append(p.tracks, mp4Track{})
			p.cur = &p.tracks[len(p.tracks)-1]
		}
		return p.push(typ, end)
	case "moov/mvex":
		p.fragmented = true
		return p.push(typ, end)
	case "trak/mdia", "trak/edts", "mdia/minf", "minf/stbl", "/moof", "moof/traf":
		return p.push(typ, end)
	case "moov/mvhd", "trak/tkhd", "mdia/mdhd", "mdia/hdlr", "mvex/mehd", "mvex/trex", "traf/tfhd":
		b, err := p.read(n, 128)
		if err != nil {
			return err
		}
		p.fixed(typ, b)
		return nil
	case "stbl/stsd":
		b, err := p.read(n, mp4MaxStsd)
		if err != nil {
			return err
		}
		if p.cur != nil {
			p.cur.entry = parseMP4Stsd(b)
		}
		return nil
	case "edts/elst":
		return p.elst(n)
	case "stbl/stsz":
		return p.stsz(n)
	case "traf/trun":
		return p.trun(n)
	}
	return p.skipBox(n)
}

// mp4Size formats a box size; n < 0 means "to the end of the file".
func mp4Size(n int64) string {
	if n < 0 {
		return "the rest of the file"
	}
	return pstreamHuman(n)
}

// skipBox skips n bytes, or to the end of the stream when n < 0.
func (p *mp4Parser) skipBox(n int64) error {
	if n < 0 {
		_, err := p.s.drain()
		return err
	}
	if err := p.s.skip(n); err != nil {
		return p.s.truncated(err, "an MP4 box")
	}
	return nil
}

// read returns up to limit bytes of a box of n bytes (n < 0: to the end
// of the stream) and skips the rest.
func (p *mp4Parser) read(n int64, limit int) ([]byte, error) {
	want := int64(limit)
	if n >= 0 {
		want = min(n, want)
	}
	b := make([]byte, want)
	got, err := io.ReadFull(p.s.br, b)
	if aerr := p.s.advance(got); aerr != nil {
		return nil, aerr
	}
	if err != nil && (n >= 0 || got == 0) {
		return nil, p.s.truncated(pstreamErr(err), "an MP4 box")
	}
	b = b[:got]
	if n < 0 {
		return b, p.skipBox(-1)
	}
	return b, p.skipBox(n - int64(got))
}
