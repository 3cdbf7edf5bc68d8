package audio

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/callimport/callimport/internal/call"
)

// WAV format tags (WAVEFORMATEX.wFormatTag) callimport describes.
const (
	wavePCM        = 0x0001
	waveFloat      = 0x0003
	waveALaw       = 0x0006
	waveMuLaw      = 0x0007
	waveIMAADPCM   = 0x0011
	waveGSM610     = 0x0031
	waveExtensible = 0xFFFE
)

const (
	// wavMaxChunks caps the chunks walked before the data chunk; real files
	// have a handful, a hostile one may have millions of empty ones.
	wavMaxChunks = 1024
	// wavHeadChunkMax is the most of a fmt or ds64 chunk that is kept; the
	// rest is read and discarded, whatever size the chunk claims.
	wavHeadChunkMax = 64
	// wavBufSize is the read buffer for the audio data.
	wavBufSize = 256 << 10
	// The level of the first meterFullBytes of audio is measured whole;
	// after that one window of meterWindow bytes in meterStride, so that
	// measuring costs little next to reading.
	meterFullBytes = 1 << 20
	meterWindow    = wavBufSize
	meterStride    = 8
	// ksDataFormatSuffix is the tail shared by the KSDATAFORMAT_SUBTYPE GUIDs
	// of WAVE_FORMAT_EXTENSIBLE; the first two bytes are the format tag.
	ksDataFormatSuffix = "\x00\x00\x00\x00\x10\x00\x80\x00\x00\xAA\x00\x38\x9B\x71"
)

// wavCodecNames names format tags callimport refuses, for plain reasons.
func wavCodecName(tag uint16) string {
	switch tag {
	case 0x0002:
		return "Microsoft ADPCM"
	case 0x0010:
		return "OKI ADPCM"
	case 0x0017:
		return "Dialogic OKI ADPCM"
	case 0x0022:
		return "DSP Group TrueSpeech"
	case 0x0040:
		return "G.721 ADPCM"
	case 0x0050:
		return "MPEG audio in WAV"
	case 0x0055:
		return "MP3 in WAV"
	case 0x0064:
		return "G.726 ADPCM"
	case 0x0065:
		return "G.722 ADPCM"
	case 0x00FF, 0x1610:
		return "AAC in WAV"
	case 0x0161, 0x0162, 0x0163:
		return "Windows Media Audio"
	case 0x2000:
		return "AC-3"
	}
	return ""
}

// wavFmt is the decoded fmt chunk.
type wavFmt struct {
	tag             uint16 // the effective tag: the sub-format for EXTENSIBLE
	channels        int
	sampleRate      int
	avgBytesPerSec  int
	blockAlign      int
	bitsPerSample   int
	samplesPerBlock int // from the extra bytes of GSM 6.10 and IMA ADPCM
}

// wavCodec is what a fmt chunk means for probing: the ffprobe-style codec
// name, how many bytes one frame (all channels) or one compressed block
// takes, and how many samples per channel such a unit holds.
type wavCodec struct {
	name          string
	unitBytes     int // bytes per PCM frame or per compressed block
	unitSamples   int // samples per channel in one unit
	bitsPerSample int
	pcm           bool // duration is exact from the byte count
}

// probeWAV describes a RIFF/WAVE (or RF64/BW64) recording read from r, which
// is size bytes long (negative when unknown). It walks the chunks once
// without seeking, keeps only fixed-size buffers whatever the headers claim,
// reads the whole data chunk to prove it is there, and measures the level of
// PCM, float, μ-law and A-law audio: Silent is set when the RMS level is
// below silenceDBFS. It returns a *Rejection with a plain reason for a file
// it refuses, and other errors only when reading fails.
func probeWAV(ctx context.Context, r io.Reader, size int64, silenceDBFS float64) (call.AudioInfo, error) {
	cr := &countingReader{r: r}
	var hdr [12]byte
	if _, err := io.ReadFull(cr, hdr[:]); err != nil {
		return call.AudioInfo{}, wavReadErr(err, "the RIFF header")
	}
	kind := string(hdr[:4])
	switch {
	case string(hdr[8:12]) != "WAVE":
		return call.AudioInfo{}, Reject("not a WAV file: the RIFF form type is not WAVE")
	case kind == "RIFX":
		return call.AudioInfo{}, Reject("big-endian WAV (RIFX) is not supported")
	case kind != "RIFF" && kind != "RF64" && kind != "BW64":
		return call.AudioInfo{}, Reject("not a WAV file: it does not start with RIFF")
	}
	rf64 := kind != "RIFF"
	// riffEnd is where the RIFF header says the file ends, when it says:
	// a file ending between chunks before that point was cut short.
	riffEnd := int64(-1)
	if n := binary.LittleEndian.Uint32(hdr[4:]); !rf64 && n != 0 && n != math.MaxUint32 {
		riffEnd = 8 + int64(n)
	}

	var (
		f            *wavFmt
		factSamples  int64 = -1
		ds64DataSize int64 = -1
		buf          [wavHeadChunkMax]byte
	)
	for i := 0; ; i++ {
		if err := ctx.Err(); err != nil {
			return call.AudioInfo{}, fmt.Errorf("walk wav chunks: %w", err)
		}
		if i == wavMaxChunks {
			return call.AudioInfo{}, Reject("malformed WAV: more than %d chunks before the audio data", wavMaxChunks)
		}
		var ch [8]byte
		if _, err := io.ReadFull(cr, ch[:]); err != nil {
			if errors.Is(err, io.EOF) {
				if i == 0 {
					return call.AudioInfo{}, Reject("truncated: the file holds only a RIFF header")
				}
				if cr.n < riffEnd {
					return call.AudioInfo{}, Reject("truncated: the file ends after %s, before the audio data, but its header declares %s",
						humanBytes(cr.n), humanBytes(riffEnd))
				}
				if f == nil {
					return call.AudioInfo{}, Reject("malformed WAV: no fmt chunk describing the audio")
				}
				return call.AudioInfo{}, Reject("malformed WAV: no data chunk holding the audio")
			}
			return call.AudioInfo{}, wavReadErr(err, "a chunk header")
		}
		id := string(ch[:4])
		n := int64(binary.LittleEndian.Uint32(ch[4:]))
		if id == "data" {
			if f == nil {
				return call.AudioInfo{}, Reject("malformed WAV: the data chunk comes before the fmt chunk")
			}
			declared, known := n, n != 0 && n != math.MaxUint32
			if rf64 && n == math.MaxUint32 {
				if ds64DataSize < 0 {
					return call.AudioInfo{}, Reject("malformed RF64 WAV: no ds64 chunk giving the data size")
				}
				declared, known = ds64DataSize, true
			}
			return wavData(ctx, cr, size, f, declared, known, factSamples, silenceDBFS)
		}
		if size >= 0 && cr.n+n > size {
			return call.AudioInfo{}, Reject("truncated: the %q chunk declares %s but the file ends %s after its start",
				id, humanBytes(n), humanBytes(size-cr.n))
		}
		kept := min(n, wavHeadChunkMax)
		if _, err := io.ReadFull(cr, buf[:kept]); err != nil {
			return call.AudioInfo{}, wavReadErr(err, fmt.Sprintf("the %q chunk", id))
		}
		b := buf[:kept]
		switch {
		case id == "fmt " && f == nil:
			var err error
			if f, err = parseWAVFmt(b, n); err != nil {
				return call.AudioInfo{}, err
			}
		case id == "fact" && len(b) >= 4:
			factSamples = int64(binary.LittleEndian.Uint32(b))
		case id == "ds64" && rf64:
			if len(b) < 24 {
				return call.AudioInfo{}, Reject("malformed RF64 WAV: ds64 chunk of %d bytes is too short", n)
			}
			ds := binary.LittleEndian.Uint64(b[8:16])
			if ds > math.MaxInt64 {
				return call.AudioInfo{}, Reject("malformed RF64 WAV: ds64 declares an impossible data size")
			}
			ds64DataSize = int64(ds)
			if rs := binary.LittleEndian.Uint64(b[0:8]); rs > 0 && rs < math.MaxInt64-8 {
				riffEnd = 8 + int64(rs)
			}
		}
		// Discard the rest of the chunk and its pad byte (chunks start on
		// even offsets); a pad byte missing at the end of the file is fine.
		if rest := n - kept + n&1; rest > 0 {
			skipped, err := io.CopyN(io.Discard, cr, rest)
			if err != nil && (!errors.Is(err, io.EOF) || skipped < rest-n&1) {
				return call.AudioInfo{}, wavReadErr(err, fmt.Sprintf("the %q chunk", id))
			}
		}
	}
}

// parseWAVFmt decodes a fmt chunk (b holds its first bytes, n is its
// declared size), resolving WAVE_FORMAT_EXTENSIBLE to its sub-format; it
// refuses a short chunk or an unknown sub-format, and codec judges the rest.
func parseWAVFmt(b []byte, n int64) (*wavFmt, error) {
	if len(b) < 16 {
		return nil, Reject("malformed WAV: fmt chunk of %d bytes is too short", n)
	}
	le := binary.LittleEndian
	f := &wavFmt{
		tag:            le.Uint16(b[0:]),
		channels:       int(le.Uint16(b[2:])),
		sampleRate:     int(le.Uint32(b[4:])),
		avgBytesPerSec: int(le.Uint32(b[8:])),
		blockAlign:     int(le.Uint16(b[12:])),
		bitsPerSample:  int(le.Uint16(b[14:])),
	}
	extra := []byte(nil)
	if len(b) >= 18 {
		extra = b[18:min(len(b), 18+int(le.Uint16(b[16:])))]
	}
	if f.tag == waveExtensible {
		if len(extra) < 22 || string(extra[8:22]) != ksDataFormatSuffix {
			return nil, Reject("WAV with an unknown extensible sub-format is not supported")
		}
		f.tag = le.Uint16(extra[6:])
	}
	if (f.tag == waveGSM610 || f.tag == waveIMAADPCM) && len(extra) >= 2 {
		f.samplesPerBlock = int(le.Uint16(extra))
	}
	return f, nil
}

// codec interprets f, refusing what callimport does not describe.
func (f *wavFmt) codec() (wavCodec, error) {
	if f.channels == 0 {
		return wavCodec{}, Reject("invalid channel count: the WAV header declares 0 channels")
	}
	if f.sampleRate == 0 {
		return wavCodec{}, Reject("invalid sample rate: the WAV header declares 0 Hz")
	}
	// Like ffprobe, PCM frames are sized from the bits per sample (rounded
	// up to whole bytes), not from a block alignment that may lie.
	bytesPer := (f.bitsPerSample + 7) / 8
	frame := f.channels * bytesPer
	switch f.tag {
	case wavePCM:
		names := map[int]string{1: "pcm_u8", 2: "pcm_s16le", 3: "pcm_s24le", 4: "pcm_s32le"}
		name, ok := names[bytesPer]
		if !ok {
			return wavCodec{}, Reject("WAV with %d-bit PCM is not supported", f.bitsPerSample)
		}
		return wavCodec{name: name, unitBytes: frame, unitSamples: 1, bitsPerSample: bytesPer * 8, pcm: true}, nil
	case waveFloat:
		names := map[int]string{32: "pcm_f32le", 64: "pcm_f64le"}
		name, ok := names[f.bitsPerSample]
		if !ok {
			return wavCodec{}, Reject("WAV with %d-bit floating point is not supported", f.bitsPerSample)
		}
		return wavCodec{name: name, unitBytes: frame, unitSamples: 1, bitsPerSample: f.bitsPerSample, pcm: true}, nil
	case waveMuLaw, waveALaw:
		if f.bitsPerSample != 8 {
			return wavCodec{}, Reject("malformed WAV: G.711 audio must have 8 bits per sample, not %d", f.bitsPerSample)
		}
		name := map[uint16]string{waveMuLaw: "pcm_mulaw", waveALaw: "pcm_alaw"}[f.tag]
		return wavCodec{name: name, unitBytes: f.channels, unitSamples: 1, bitsPerSample: 8, pcm: true}, nil
	case waveGSM610:
		if f.blockAlign != 65*f.channels || f.channels != 1 {
			return wavCodec{}, Reject("WAV GSM 6.10 must be mono with 65-byte blocks (found %d channels, %d-byte blocks)", f.channels, f.blockAlign)
		}
		return wavCodec{name: "gsm_ms", unitBytes: 65, unitSamples: 320}, nil
	case waveIMAADPCM:
		if f.bitsPerSample != 4 || f.blockAlign <= 4*f.channels {
			return wavCodec{}, Reject("malformed WAV: IMA ADPCM with %d bits per sample and %d-byte blocks", f.bitsPerSample, f.blockAlign)
		}
		spb := (f.blockAlign-4*f.channels)*8/(4*f.channels) + 1
		return wavCodec{name: "adpcm_ima_wav", unitBytes: f.blockAlign, unitSamples: spb, bitsPerSample: 4}, nil
	}
	if name := wavCodecName(f.tag); name != "" {
		return wavCodec{}, Reject("WAV with codec 0x%04X (%s) is not supported", f.tag, name)
	}
	return wavCodec{}, Reject("WAV with codec 0x%04X is not supported", f.tag)
}

// wavData reads the data chunk (declared bytes, or up to the end when the
// length is not known) and computes the description.
func wavData(ctx context.Context, cr *countingReader, size int64, f *wavFmt, declared int64, known bool, factSamples int64, silenceDBFS float64) (call.AudioInfo, error) {
	c, err := f.codec()
	if err != nil {
		return call.AudioInfo{}, err
	}
	// A last partial PCM frame missing is not worth refusing a call; a
	// missing part of a compressed block is.
	slack := int64(1)
	if c.pcm {
		slack = int64(c.unitBytes)
	}
	if known && size >= 0 && declared > size-cr.n+slack-1 {
		return call.AudioInfo{}, Reject("truncated: the header declares %s of audio but the file holds %s",
			humanBytes(declared), humanBytes(max(size-cr.n, 0)))
	}
	meter := newLevelMeter(c.name)
	limit := declared
	if !known {
		limit = math.MaxInt64
	}
	got, err := readCounting(ctx, cr, limit, meter)
	if err != nil {
		return call.AudioInfo{}, err
	}
	if known && got < declared-slack+1 {
		return call.AudioInfo{}, Reject("truncated: the header declares %s of audio but the file holds %s",
			humanBytes(declared), humanBytes(got))
	}
	units := got / int64(c.unitBytes)
	samples := units * int64(c.unitSamples)
	if !c.pcm {
		// The fact chunk holds the exact count when the last block is
		// partly filled; trust it only when it agrees with the blocks.
		if factSamples > 0 && factSamples > samples-int64(c.unitSamples) && factSamples <= samples {
			samples = factSamples
		}
	}
	info := call.AudioInfo{
		Format:          string(FormatWAV),
		Codec:           c.name,
		DurationSeconds: float64(samples) / float64(f.sampleRate),
		SampleRateHz:    f.sampleRate,
		Channels:        f.channels,
		BitsPerSample:   c.bitsPerSample,
	}
	if c.pcm {
		info.BitRate = clampInt(int64(c.unitBytes) * 8 * int64(f.sampleRate))
	} else if info.DurationSeconds > 0 {
		info.BitRate = clampInt(int64(math.Round(float64(got) * 8 / info.DurationSeconds)))
	}
	if meter != nil {
		info.Silent = meter.silent(silenceDBFS)
	}
	return info, nil
}

// readCounting reads up to limit bytes from r, feeding them (or a regular
// sample of them past the first MiB) to meter when not nil, and returns how
// many it read before the end of the stream.
func readCounting(ctx context.Context, r io.Reader, limit int64, meter *levelMeter) (int64, error) {
	buf := make([]byte, wavBufSize)
	var got int64
	for got < limit {
		if err := ctx.Err(); err != nil {
			return got, fmt.Errorf("read wav data: %w", err)
		}
		n, err := r.Read(buf[:min(int64(len(buf)), limit-got)])
		if n > 0 {
			if meter != nil {
				if got < meterFullBytes || (got/meterWindow)%meterStride == 0 {
					meter.write(buf[:n])
				} else {
					meter.skip(n)
				}
			}
			got += int64(n)
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return got, fmt.Errorf("read wav data: %w", err)
		}
	}
	return got, nil
}

// wavReadErr turns an early end of the stream into a plain rejection and
// anything else into a read error.
func wavReadErr(err error, what string) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return Reject("truncated: the file ends inside %s", what)
	}
	return fmt.Errorf("read wav: %w", err)
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// clampInt converts v to int, saturating.
func clampInt(v int64) int {
	return int(min(v, math.MaxInt32))
}

// humanBytes formats a byte count for reasons read by people: "812 bytes",
// "9.5 MB", "1.1 TB" (decimal units, as file managers show them).
func humanBytes(n int64) string {
	if n < 1000 {
		return fmt.Sprintf("%d bytes", n)
	}
	v, unit := float64(n), ""
	for _, u := range []string{"kB", "MB", "GB", "TB", "PB", "EB"} {
		v /= 1000
		unit = u
		if v < 1000 {
			break
		}
	}
	return fmt.Sprintf("%.1f %s", v, unit)
}
