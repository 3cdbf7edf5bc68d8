package audio

import (
	"bytes"
	"strings"
	"testing"
)

func TestSniffFixtures(t *testing.T) {
	t.Parallel()
	for _, fx := range fixtures(t) {
		t.Run(fx.path, func(t *testing.T) {
			t.Parallel()
			b := readFixture(t, fx.path)
			if got := Sniff(b[:min(len(b), SniffSize)]); got != fx.format {
				t.Errorf("Sniff(%s) = %q, want %q", fx.path, got, fx.format)
			}
			// Every prefix sniffs as the format or as not audio, never as
			// another format, and never panics.
			for n := range min(len(b), 64) {
				if got := Sniff(b[:n]); got != "" && got != fx.format {
					t.Errorf("Sniff(first %d bytes of %s) = %q, want %q or nothing", n, fx.path, got, fx.format)
				}
			}
		})
	}
}

// mpegFrames returns n MPEG audio frames: each is the 4-byte header h
// followed by zeros up to length bytes.
func mpegFrames(h []byte, length, n int) []byte {
	var b []byte
	for range n {
		frame := make([]byte, length)
		copy(frame, h)
		b = append(b, frame...)
	}
	return b
}

func TestSniff(t *testing.T) {
	t.Parallel()
	mpeg1 := []byte{0xFF, 0xFB, 0x90, 0x00}  // MPEG-1 layer III, 128 kbit/s, 44.1 kHz: 417-byte frames
	mpeg25 := []byte{0xFF, 0xE3, 0x28, 0xC4} // MPEG-2.5 layer III, 16 kbit/s, 8 kHz: 144-byte frames
	layer2 := []byte{0xFF, 0xFD, 0x90, 0x00}
	ftyp := func(size byte, brands string) []byte {
		return append([]byte{0, 0, 0, size}, []byte("ftyp"+brands)...)
	}
	tests := []struct {
		name string
		head []byte
		want Format
	}{
		{"nil", nil, ""},
		{"three bytes", []byte("RIF"), ""},
		{"RIFF without form type", []byte("RIFF\x24\x00\x00\x00WAV"), ""},
		{"RIFF WAVE", []byte("RIFF\x24\x00\x00\x00WAVEfmt "), FormatWAV},
		{"RIFX WAVE", []byte("RIFX\x00\x00\x00\x24WAVE"), FormatWAV},
		{"RF64 WAVE", []byte("RF64\xff\xff\xff\xffWAVEds64"), FormatWAV},
		{"BW64 WAVE", []byte("BW64\xff\xff\xff\xffWAVEds64"), FormatWAV},
		{"RIFF AVI", []byte("RIFF\x24\x00\x00\x00AVI LIST"), ""},
		{"RIFF WEBP", []byte("RIFF\x24\x00\x00\x00WEBPVP8 "), ""},
		{"FLAC", []byte("fLaC\x00\x00\x00\x22"), FormatFLAC},
		{"Ogg", []byte("OggS\x00\x02"), FormatOgg},
		{"Ogg bad version", []byte("OggS\x01\x02"), ""},
		{"EBML", []byte{0x1A, 0x45, 0xDF, 0xA3, 0x9F}, FormatWebM},
		{"M4A", ftyp(24, "M4A \x00\x00\x00\x00M4A mp42"), FormatMP4},
		{"isom", ftyp(16, "isom\x00\x00\x02\x00"), FormatMP4},
		{"QuickTime brand, mp42 compatible", ftyp(20, "qt  \x00\x00\x00\x00mp42"), FormatMP4},
		{"QuickTime only", ftyp(20, "qt  \x00\x00\x00\x00qt  "), ""},
		{"HEIC image", ftyp(24, "heic\x00\x00\x00\x00mif1heic"), ""},
		{"ftyp absurd size", ftyp(0, "M4A \x00\x00\x00\x00"), ""},
		{"ID3v2.3", []byte("ID3\x03\x00\x00\x00\x00\x10\x00"), FormatMP3},
		{"ID3v2.4", []byte("ID3\x04\x00\x00\x00\x00\x00\x7f"), FormatMP3},
		{"ID3 too short", []byte("ID3\x03\x00\x00"), ""},
		{"ID3 bad version", []byte("ID3\x09\x00\x00\x00\x00\x10\x00"), ""},
		{"ID3 size not syncsafe", []byte("ID3\x03\x00\x00\x00\x00\x80\x00"), ""},
		{"MPEG-1 one frame header", mpeg1, FormatMP3},
		{"MPEG-1 two frames", mpegFrames(mpeg1, 417, 2), FormatMP3},
		{"MPEG-2.5 8 kHz frames", mpegFrames(mpeg25, 144, 10), FormatMP3},
		{"MPEG second header missing", append(mpegFrames(mpeg1, 417, 1), make([]byte, 100)...), ""},
		{"MPEG layer II", mpegFrames(layer2, 417, 2), ""},
		{"MPEG free format", []byte{0xFF, 0xFB, 0x00, 0x00}, ""},
		{"MPEG bad bitrate", []byte{0xFF, 0xFB, 0xF0, 0x00}, ""},
		{"MPEG reserved rate", []byte{0xFF, 0xFB, 0x9C, 0x00}, ""},
		{"MPEG reserved version", []byte{0xFF, 0xEB, 0x90, 0x00}, ""},
		{"MPEG reserved emphasis", []byte{0xFF, 0xFB, 0x90, 0x02}, ""},
		{"PDF", []byte("%PDF-1.7\n"), ""},
		{"ZIP", []byte("PK\x03\x04\x14\x00"), ""},
		{"PNG", []byte("\x89PNG\r\n\x1a\n\x00\x00"), ""},
		{"JPEG", []byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10}, ""},
		{"text", []byte("hello, this is a call recording, honest"), ""},
		{"zeros", make([]byte, SniffSize), ""},
		{"0xFF run", bytes.Repeat([]byte{0xFF}, SniffSize), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Sniff(tt.head); got != tt.want {
				t.Errorf("Sniff(% x...) = %q, want %q", tt.head[:min(len(tt.head), 12)], got, tt.want)
			}
		})
	}
}

func TestDescribeNonAudio(t *testing.T) {
	t.Parallel()
	tests := []struct {
		head []byte
		want string
	}{
		{[]byte("%PDF-1.4"), "PDF document"},
		{[]byte("\xef\xbb\xbf<!DOCTYPE html><html>"), "HTML page"},
		{[]byte("  <html><body>"), "HTML page"},
		{[]byte("just some words\n"), "text"},
		{[]byte("caf\xc3"), "text"}, // a rune cut by the end of the head
		{[]byte("\x00\x01\x02\x03"), "match no audio format"},
		{[]byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00"), `brand "heic"`},
		{[]byte("RIFF\x00\x00\x00\x00WEBP"), `type "WEBP"`},
		{[]byte("\x1f\x8b\x08\x00"), "gzip archive"},
	}
	for _, tt := range tests {
		if got := describeNonAudio(tt.head); !strings.Contains(got, tt.want) {
			t.Errorf("describeNonAudio(%q) = %q, want it to contain %q", tt.head, got, tt.want)
		}
	}
}

func FuzzSniff(f *testing.F) {
	// Seeds are kept short: the fuzzer minimises each new input byte by
	// byte, and Sniff's decisions come from the first few hundred bytes.
	for _, fx := range fixtures(f) {
		b := readFixture(f, fx.path)
		f.Add(b[:min(len(b), 512)])
	}
	f.Add([]byte("ID3\x03\x00\x00\x00\x00\x10\x00"))
	f.Add([]byte{0xFF, 0xFB, 0x90, 0x00})
	f.Fuzz(func(t *testing.T, head []byte) {
		got := Sniff(head)
		switch got {
		case "", FormatWAV, FormatMP3, FormatFLAC, FormatOgg, FormatWebM, FormatMP4:
		default:
			t.Fatalf("Sniff returned unknown format %q", got)
		}
		if len(head) > SniffSize {
			if short := Sniff(head[:SniffSize]); short != got {
				t.Fatalf("Sniff depends on bytes past SniffSize: %q vs %q", short, got)
			}
		}
		if got == "" && describeNonAudio(head) == "" {
			t.Fatal("no reason for a non-audio file")
		}
	})
}
