package audio

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/callimport/callimport/internal/call"
)

// Limits of the common checks applied to every description.
const (
	maxSampleRateHz = 384000
	maxChannels     = 32
	maxDuration     = 7 * 24 * 3600 // seconds; a week of audio is not a call
)

// Config tunes a Prober. The zero value is ready to use.
type Config struct {
	// SilenceThresholdDBFS flags a recording as Silent (it is never
	// rejected for it) when the RMS level of its audio is below this many
	// dB relative to full scale. Measured for PCM, float, μ-law and A-law
	// WAV only; digital silence (-Inf dBFS) is below any threshold. Zero
	// means DefaultSilenceThresholdDBFS (-60).
	SilenceThresholdDBFS float64
}

// New returns a Prober configured by cfg (zero fields take their defaults).
// It is safe for concurrent use.
func New(cfg Config) Prober {
	if cfg.SilenceThresholdDBFS == 0 {
		cfg.SilenceThresholdDBFS = DefaultSilenceThresholdDBFS
	}
	return &prober{cfg: cfg}
}

// prober is the Prober returned by New.
type prober struct {
	cfg Config
}

var _ Prober = (*prober)(nil)

// Probe reads the first SniffSize bytes of r, names the container with
// Sniff, and hands the whole stream (those bytes replayed, then the rest)
// to that container's parser. It reads r once, front to back, with memory
// independent of size, and stops reading when ctx is done. size is the
// length of r in bytes, used to tell a truncated file early; pass a
// negative size when it is not known. The description then passes common
// checks. It returns a *Rejection with a plain reason for a file that is
// not audio, is truncated, has no duration, holds absurd values or an
// unsupported codec; any other error is a failure to read.
func (p *prober) Probe(ctx context.Context, r io.Reader, size int64) (call.AudioInfo, error) {
	r = &ctxReader{ctx: ctx, r: r}
	head := make([]byte, SniffSize)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return call.AudioInfo{}, fmt.Errorf("read head: %w", err)
	}
	head = head[:n]
	if n == 0 {
		return call.AudioInfo{}, Reject("empty file: it holds no bytes")
	}
	f := Sniff(head)
	if f == "" {
		return call.AudioInfo{}, Reject("not an audio file: %s", describeNonAudio(head))
	}
	full := io.MultiReader(bytes.NewReader(head), r)
	var info call.AudioInfo
	switch f {
	case FormatWAV:
		info, err = probeWAV(ctx, full, size, p.cfg.SilenceThresholdDBFS)
	case FormatMP3:
		info, err = probeMP3(ctx, full, size)
	case FormatFLAC:
		info, err = probeFLAC(ctx, full, size)
	case FormatOgg:
		info, err = probeOgg(ctx, full, size)
	case FormatWebM:
		info, err = probeMatroska(ctx, full, size)
	case FormatMP4:
		info, err = probeMP4(ctx, full, size)
	default:
		return call.AudioInfo{}, fmt.Errorf("probe: no parser for format %q", f)
	}
	if err != nil {
		if _, ok := IsRejection(err); ok {
			return call.AudioInfo{}, err
		}
		return call.AudioInfo{}, fmt.Errorf("probe %s: %w", f, err)
	}
	if info.Format == "" {
		info.Format = string(f)
	}
	if err := checkInfo(info); err != nil {
		return call.AudioInfo{}, err
	}
	return info, nil
}

// checkInfo applies the checks every recording must pass, whatever its
// container, and returns a *Rejection naming the offending value.
func checkInfo(info call.AudioInfo) error {
	d := info.DurationSeconds
	switch {
	case info.Codec == "":
		return Reject("unknown codec: the %s file does not say how its audio is encoded", info.Format)
	case math.IsNaN(d) || d <= 0:
		return Reject("zero duration: the recording holds no audio")
	case d > maxDuration:
		return Reject("absurd duration: %.0f hours (at most %d)", d/3600, maxDuration/3600)
	case info.SampleRateHz <= 0:
		return Reject("invalid sample rate: %d Hz", info.SampleRateHz)
	case info.SampleRateHz > maxSampleRateHz:
		return Reject("absurd sample rate: %d Hz (at most %d)", info.SampleRateHz, maxSampleRateHz)
	case info.Channels <= 0:
		return Reject("invalid channel count: %d", info.Channels)
	case info.Channels > maxChannels:
		return Reject("absurd channel count: %d channels (at most %d)", info.Channels, maxChannels)
	case info.BitsPerSample < 0 || info.BitsPerSample > 64:
		return Reject("absurd sample size: %d bits", info.BitsPerSample)
	case info.BitRate < 0:
		return Reject("invalid bit rate: %d bit/s", info.BitRate)
	}
	return nil
}

// ctxReader stops reading once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
