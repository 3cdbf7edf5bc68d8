package audio

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/callimport/callimport/internal/call"
)

// mkvMaxDepth bounds the nesting of the master elements the parser enters
// (Segment > Tracks > TrackEntry > Audio is the deepest it needs).
const mkvMaxDepth = 8

// mkvMaxTracks bounds how many track entries are remembered.
const mkvMaxTracks = 64

// mkvTrack is one TrackEntry.
type mkvTrack struct {
	number   uint64
	typ      uint64 // 1 video, 2 audio, ...
	codecID  string
	rate     float64
	channels uint64
	private  []byte // the first bytes of CodecPrivate
}

// mkvOpen is a master element being read; end is ebmlUnknownSize when its
// size is unknown.
type mkvOpen struct {
	id  uint32
	end int64
}

// mkvParser holds the state of one streaming walk.
type mkvParser struct {
	s          *pstream
	scratch    [512]byte // leaf bodies; callers copy what they keep
	stack      []mkvOpen
	docType    string
	sawSegment bool
	segStart   int64
	segEnd     int64
	stop       bool

	scale       float64 // nanoseconds per timecode unit
	duration    float64 // Info/Duration in timecode units; 0 if absent
	infoDone    bool
	tracksDone  bool
	tracks      []mkvTrack
	inTrack     bool
	audio       *mkvTrack
	clusterTC   float64
	blocks      int64
	blockBytes  int64
	lastTS      float64 // seconds
	lastDelta   float64 // seconds between the last two audio blocks
	endSec      float64 // end of the latest audio block, in seconds
	inGroup     bool
	groupTS     float64 // seconds; -1 if the group holds no audio block
	groupDur    float64 // BlockDuration in seconds; -1 if absent
	groupOpusSm int     // Opus samples of the group's block; 0 if unknown
	groupTrim   float64 // DiscardPadding in seconds
}

// probeMatroska describes a WebM or Matroska recording read from r (size
// bytes).
//
// It walks the EBML tree streaming: the EBML header (doc type webm or
// matroska), then Segment > Info (TimecodeScale, Duration) and Tracks (the
// first audio TrackEntry: CodecID, Audio/SamplingFrequency and Channels,
// CodecPrivate). When Info holds a Duration and the Segment's size is known
// and fits in the file, it stops there. Otherwise (live WebM from browsers'
// MediaRecorder: unknown sizes, no Duration) it streams through every
// Cluster, and the duration is the end of the last audio block (its
// timestamp plus BlockDuration, or the length of its Opus packet, or the
// spacing of the previous blocks). Elements of unknown size end where an
// element that cannot be their child begins.
//
// It rejects: a doc type other than webm/matroska, no audio track (naming
// the tracks found), an audio codec other than A_OPUS or A_VORBIS (naming
// it), elements that overrun their parent, and elements running past the
// end of the file (truncated).
func probeMatroska(ctx context.Context, r io.Reader, size int64) (call.AudioInfo, error) {
	p := &mkvParser{s: newPStream(ctx, r, size), scale: 1e6, segEnd: ebmlUnknownSize, groupTS: -1}
	if err := p.walk(); err != nil {
		return call.AudioInfo{}, err
	}
	return p.describe()
}

// walk reads elements until the stream ends or enough is known.
func (p *mkvParser) walk() error {
	s := p.s
	for !p.stop {
		for len(p.stack) > 0 {
			top := p.stack[len(p.stack)-1]
			if top.end == ebmlUnknownSize || s.off < top.end {
				break
			}
			if err := p.close(); err != nil {
				return err
			}
		}
		if p.stop || p.enough() {
			return nil
		}
		b, err := s.peek(12)
		if err != nil {
			return err
		}
		if len(b) == 0 {
			return p.atEnd()
		}
		id, n := ebmlParseID(b)
		var size int64
		var m int
		if n > 0 {
			size, m = ebmlParseVint(b[n:])
		}
		if n == 0 || m == 0 {
			if len(b) < 12 {
				return Reject("truncated: the file ends inside a WebM element header")
			}
			if p.tracksDone && p.audio != nil && len(p.stack) == 0 {
				return nil // junk after the Segment
			}
			return Reject("malformed WebM/Matroska file: invalid element header at byte %d", s.off)
		}
		// An element of unknown size ends where one that cannot be its
		// child begins.
		for len(p.stack) > 0 {
			top := p.stack[len(p.stack)-1]
			if top.end != ebmlUnknownSize || mkvIsChild(top.id, id) {
				break
			}
			if err := p.close(); err != nil {
				return err
			}
		}
		if p.stop {
			return nil
		}
		start := s.off + int64(n+m)
		end := int64(ebmlUnknownSize)
		if size != ebmlUnknownSize {
			end = start + size
			if len(p.stack) > 0 {
				if pe := p.stack[len(p.stack)-1].end; pe != ebmlUnknownSize && end > pe {
					return Reject("malformed WebM/Matroska file: %s at byte %d overruns its parent", mkvName(id), s.off)
				}
			}
			if s.beyondSize(end) {
				return Reject("truncated: the %s element declares %s but the file holds %s",
					mkvName(id), pstreamHuman(size), pstreamHuman(max(0, s.size-start)))
			}
		}
		if err := s.skip(int64(n + m)); err != nil {
			return s.truncated(err, "a WebM element header")
		}
		if err := p.element(id, size, end); err != nil {
			return err
		}
	}
	return nil
}

// atEnd handles the end of the stream: a known-size element still open
// means the file was cut short.
func (p *mkvParser) atEnd() error {
	for _, o := range p.stack {
		if o.end != ebmlUnknownSize && o.end > p.s.off {
			return Reject("truncated: the file ends inside the %s element", mkvName(o.id))
		}
	}
	for len(p.stack) > 0 && !p.stop {
		if err := p.close(); err != nil {
			return err
		}
	}
	return nil
}

// enough reports whether the walk can stop early: everything needed is
// known, and the Segment's declared size was checked against the file.
func (p *mkvParser) enough() bool {
	return p.infoDone && p.tracksDone && p.duration > 0 && p.audio != nil &&
		p.segEnd != ebmlUnknownSize && p.s.size > 0
}

// parent returns the ID of the innermost open element, 0 at top level.
func (p *mkvParser) parent() uint32 {
	if len(p.stack) == 0 {
		return 0
	}
	return p.stack[len(p.stack)-1].id
}

// mkvIsChild reports whether id may appear inside an element parent of
// unknown size.
func mkvIsChild(parent, id uint32) bool {
	switch parent {
	case mkvIDSegment:
		return id != ebmlIDHeader && id != mkvIDSegment
	case mkvIDCluster:
		return mkvChildOfCluster(id)
	}
	return true
}

// push enters a master element.
func (p *mkvParser) push(id uint32, end int64) error {
	if len(p.stack) >= mkvMaxDepth {
		return Reject("malformed WebM/Matroska file: elements nested deeper than %d levels", mkvMaxDepth)
	}
	if end == ebmlUnknownSize && id != mkvIDSegment && id != mkvIDCluster {
		return Reject("malformed WebM/Matroska file: %s has an unknown size", mkvName(id))
	}
	p.stack = append(p.stack, mkvOpen{id: id, end: end})
	return nil
}

// element handles the element whose header was just consumed.
func (p *mkvParser) element(id uint32, size, end int64) error {
	if size == ebmlUnknownSize && id != mkvIDSegment && id != mkvIDCluster {
		return Reject("malformed WebM/Matroska file: %s has an unknown size", mkvName(id))
	}
	parent := p.parent()
	switch {
	case id == ebmlIDHeader && parent == 0:
		if p.sawSegment {
			p.stop = true // a second, concatenated file: describe the first
			return nil
		}
		return p.push(id, end)
	case id == ebmlIDDocType && parent == ebmlIDHeader:
		b, err := p.leaf(size, 64)
		p.docType = string(b)
		return err
	case id == mkvIDSegment && parent == 0:
		if p.sawSegment {
			p.stop = true
			return nil
		}
		if p.docType != "" && p.docType != "webm" && p.docType != "matroska" {
			return Reject("not a WebM/Matroska file: the EBML doc type is %q", p.docType)
		}
		p.sawSegment, p.segStart, p.segEnd = true, p.s.off, end
		return p.push(id, end)
	case parent == mkvIDSegment && (id == mkvIDInfo || id == mkvIDTracks || id == mkvIDCluster):
		p.clusterTC = 0
		return p.push(id, end)
	case parent == mkvIDTracks && id == mkvIDTrackEntry:
		if len(p.tracks) < mkvMaxTracks {
			p.tracks = append(p.tracks, mkvTrack{channels: 1, rate: 8000})
			p.inTrack = true
		}
		return p.push(id, end)
	case parent == mkvIDTrackEntry && id == mkvIDAudio:
		return p.push(id, end)
	case parent == mkvIDCluster && id == mkvIDBlockGroup:
		p.inGroup, p.groupTS, p.groupDur, p.groupOpusSm, p.groupTrim = true, -1, -1, 0, 0
		return p.push(id, end)
	case size == ebmlUnknownSize:
		return Reject("malformed WebM/Matroska file: %s has an unknown size here", mkvName(id))
	}
	return p.value(id, parent, size)
}

// value reads (or skips) a leaf element of size bytes under parent.
func (p *mkvParser) value(id, parent uint32, size int64) error {
	var tr *mkvTrack
	if p.inTrack && len(p.tracks) > 0 {
		tr = &p.tracks[len(p.tracks)-1]
	}
	switch {
	case parent == mkvIDInfo && id == mkvIDTimecodeScale:
		b, err := p.leaf(size, 8)
		if v := ebmlUint(b); v > 0 {
			p.scale = float64(v)
		}
		return err
	case parent == mkvIDInfo && id == mkvIDDuration:
		b, err := p.leaf(size, 8)
		if v := ebmlFloat(b); v > 0 && v < 1e18 {
			p.duration = v
		}
		return err
	case tr != nil && parent == mkvIDTrackEntry && id == mkvIDTrackNumber:
		b, err := p.leaf(size, 8)
		tr.number = ebmlUint(b)
		return err
	case tr != nil && parent == mkvIDTrackEntry && id == mkvIDTrackType:
		b, err := p.leaf(size, 8)
		tr.typ = ebmlUint(b)
		return err
	case tr != nil && parent == mkvIDTrackEntry && id == mkvIDCodecID:
		b, err := p.leaf(size, 64)
		tr.codecID = strings.TrimRight(string(b), "\x00")
		return err
	case tr != nil && parent == mkvIDTrackEntry && id == mkvIDCodecPrivate:
		b, err := p.leaf(size, 512)
		tr.private = append([]byte(nil), b...)
		return err
	case tr != nil && parent == mkvIDAudio && id == mkvIDSamplingFreq:
		b, err := p.leaf(size, 8)
		tr.rate = ebmlFloat(b)
		return err
	case tr != nil && parent == mkvIDAudio && id == mkvIDChannels:
		b, err := p.leaf(size, 8)
		tr.channels = ebmlUint(b)
		return err
	case parent == mkvIDCluster && id == mkvIDTimecode:
		b, err := p.leaf(size, 8)
		p.clusterTC = float64(ebmlUint(b))
		return err
	case (parent == mkvIDCluster && id == mkvIDSimpleBlock) || (parent == mkvIDBlockGroup && id == mkvIDBlock):
		return p.block(id == mkvIDSimpleBlock, size)
	case parent == mkvIDBlockGroup && id == mkvIDBlockDuration:
		b, err := p.leaf(size, 8)
		p.groupDur = float64(ebmlUint(b)) * p.scale / 1e9
		return err
	case parent == mkvIDBlockGroup && id == mkvIDDiscardPad:
		b, err := p.leaf(size, 8)
		if len(b) > 0 {
			v := int64(ebmlUint(b)) << (64 - 8*len(b)) >> (64 - 8*len(b)) // signed
			p.groupTrim = max(float64(v)/1e9, 0)
		}
		return err
	}
	if err := p.s.skip(size); err != nil {
		return p.s.truncated(err, "the "+mkvName(id)+" element")
	}
	return nil
}

// leaf reads a leaf element's body: at most limit (<= 512) bytes are
// kept, the rest is skipped. The bytes are valid until the next call.
func (p *mkvParser) leaf(size int64, limit int) ([]byte, error) {
	n := int(min(size, int64(limit), int64(len(p.scratch))))
	b := p.scratch[:n]
	if err := p.s.full(b); err != nil {
		return nil, p.s.truncated(err, "a WebM element")
	}
	if err := p.s.skip(size - int64(n)); err != nil {
		return nil, p.s.truncated(err, "a WebM element")
	}
	return b, nil
}

// close leaves the innermost open element.
func (p *mkvParser) close() error {
	top := p.stack[len(p.stack)-1]
	p.stack = p.stack[:len(p.stack)-1]
	switch top.id {
	case mkvIDInfo:
		p.infoDone = true
	case mkvIDTrackEntry:
		p.inTrack = false
	case mkvIDTracks:
		p.tracksDone = true
		return p.chooseTrack()
	case mkvIDBlockGroup:
		p.inGroup = false
		if p.groupTS >= 0 {
			dur := p.groupDur
			if dur < 0 && p.groupOpusSm > 0 {
				dur = float64(p.groupOpusSm) / 48000
			}
			if dur > 0 {
				dur = max(dur-p.groupTrim, 0)
			}
			p.blockEnd(p.groupTS, dur)
		}
	case mkvIDSegment:
		p.stop = true
	}
	return nil
}

// chooseTrack picks the first audio track once Tracks is read, and refuses
// files with no usable one.
func (p *mkvParser) chooseTrack() error {
	if p.audio != nil {
		return nil
	}
	var found []string
	for i := range p.tracks {
		t := &p.tracks[i]
		if t.typ == 2 || (t.typ == 0 && strings.HasPrefix(t.codecID, "A_")) {
			p.audio = t
			break
		}
		found = append(found, t.codecID)
	}
	switch {
	case p.audio == nil && len(found) == 0:
		return Reject("the WebM/Matroska file has no tracks")
	case p.audio == nil:
		return Reject("the WebM/Matroska file has no audio track (tracks: %s)", strings.Join(found, ", "))
	case p.audio.codecID != "A_OPUS" && p.audio.codecID != "A_VORBIS":
		return Reject("WebM/Matroska audio with codec %s is not supported", mkvCodecLabel(p.audio.codecID))
	}
	return nil
}

// mkvCodecLabel names a CodecID for a rejection reason.
func mkvCodecLabel(id string) string {
	if id == "" {
		return "(none given)"
	}
	return id
}

// mkvName names an element for a rejection reason.
func mkvName(id uint32) string {
	switch id {
	case ebmlIDHeader:
		return "EBML header"
	case mkvIDSegment:
		return "Segment"
	case mkvIDInfo:
		return "Info"
	case mkvIDTracks:
		return "Tracks"
	case mkvIDTrackEntry:
		return "TrackEntry"
	case mkvIDCluster:
		return "Cluster"
	case mkvIDSimpleBlock:
		return "SimpleBlock"
	case mkvIDBlockGroup:
		return "BlockGroup"
	case mkvIDBlock:
		return "Block"
	}
	return fmt.Sprintf("element 0x%X", id)
}
