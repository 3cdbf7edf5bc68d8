// Package audio recognises and describes call recordings from their bytes,
// in pure Go: Sniff names the container from the first bytes, Probe reads a
// recording once, streaming, and describes it (or says plainly why it is
// refused). One file per container; each parser is fuzzed.
//
// Use New(Config{}) for a Prober; the zero Config is the default. Probe
// reads a recording once, front to back, with memory independent of its
// size, so a multi-GiB WAV costs the time to read it, not memory.
// Refusals are *Rejection errors whose Reason is meant for people;
// anything else is a read failure worth retrying. Near-silent
// PCM, μ-law and A-law WAVs are flagged in AudioInfo.Silent, never refused;
// per-campaign limits are applied separately with Rules.Check.
package audio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/callimport/callimport/internal/call"
)

// Format is a container recognised from the first bytes.
type Format string

// The containers callimport accepts.
const (
	FormatWAV  Format = "wav"  // RIFF/WAVE, and RF64/BW64 for files over 4 GiB
	FormatMP3  Format = "mp3"  // MPEG audio layer III, with or without ID3v2
	FormatFLAC Format = "flac" // native FLAC
	FormatOgg  Format = "ogg"  // Ogg (Opus, Vorbis)
	FormatWebM Format = "webm" // WebM / Matroska (Opus, Vorbis)
	FormatMP4  Format = "mp4"  // MP4 / M4A (AAC)
)

// SniffSize is how many leading bytes Sniff needs to decide.
const SniffSize = 4096

// Rejection is the error Probe returns when a recording is refused; Reason is
// plain language fit for a QA manager ("truncated: the header declares 10 MB
// of audio but the file holds 2 MB").
type Rejection struct {
	Reason string
}

func (r *Rejection) Error() string { return r.Reason }

// Reject returns a *Rejection with a formatted reason.
func Reject(format string, args ...any) error {
	return &Rejection{Reason: fmt.Sprintf(format, args...)}
}

// IsRejection reports whether err is (or wraps) a *Rejection, and returns it.
func IsRejection(err error) (*Rejection, bool) {
	return errors.AsType[*Rejection](err)
}

// Prober describes recordings. The probe job depends on this interface only.
type Prober interface {
	// Probe reads r (size bytes long) at most once and describes it. It
	// returns a *Rejection when the recording is unusable; any other error
	// is a failure to read and may be retried.
	Probe(ctx context.Context, r io.Reader, size int64) (call.AudioInfo, error)
}

// Rules are optional per-campaign checks applied to a description after
// Probe. The zero value checks nothing.
type Rules struct {
	// MinDuration refuses shorter recordings; zero means no minimum.
	MinDuration time.Duration
	// MaxDuration refuses longer recordings; zero means no maximum.
	MaxDuration time.Duration
	// Channels, when not zero, is the channel count a recording must have
	// (2 when agent and customer must be on separate channels).
	Channels int
}

// Check returns a *Rejection naming the first rule info breaks, or nil.
func (r Rules) Check(info call.AudioInfo) error {
	d := time.Duration(info.DurationSeconds * float64(time.Second))
	switch {
	case r.MinDuration > 0 && d < r.MinDuration:
		return Reject("too short for this campaign: %s, the minimum duration is %s", d.Round(time.Second/10), r.MinDuration)
	case r.MaxDuration > 0 && d > r.MaxDuration:
		return Reject("too long for this campaign: %s, the maximum duration is %s", d.Round(time.Second/10), r.MaxDuration)
	case r.Channels > 0 && info.Channels != r.Channels:
		return Reject("wrong channel count for this campaign: %d, the campaign requires %d", info.Channels, r.Channels)
	}
	return nil
}
