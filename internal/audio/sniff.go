package audio

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"unicode/utf8"
)

// Sniff names the container of a recording from its first bytes (SniffSize
// are enough; fewer are fine, the checks that do not fit are skipped) and
// returns "" when the bytes are not audio callimport accepts. It never looks
// at a name or a declared type, and it never fails: it is a cheap gate, and
// Probe still refuses a file that only looks like audio (an ID3v2 tag with no
// MPEG frames after it, a WebM holding only video).
func Sniff(head []byte) Format {
	switch {
	case len(head) < 4:
		return ""
	case isRIFFWave(head):
		return FormatWAV
	case bytes.HasPrefix(head, []byte("fLaC")):
		return FormatFLAC
	case isOgg(head):
		return FormatOgg
	case bytes.HasPrefix(head, []byte{0x1A, 0x45, 0xDF, 0xA3}):
		return FormatWebM
	case isMP4Audio(head):
		return FormatMP4
	case isID3v2(head):
		return FormatMP3
	case isMPEGAudio(head):
		return FormatMP3
	}
	return ""
}

// isRIFFWave accepts RIFF (and big-endian RIFX, which the probe refuses
// with its name), RF64 and BW64 files of form type WAVE.
func isRIFFWave(b []byte) bool {
	if len(b) < 12 || !bytes.Equal(b[8:12], []byte("WAVE")) {
		return false
	}
	switch string(b[:4]) {
	case "RIFF", "RIFX", "RF64", "BW64":
		return true
	}
	return false
}

// isOgg checks the capture pattern and stream structure version 0.
func isOgg(b []byte) bool {
	return len(b) >= 5 && bytes.HasPrefix(b, []byte("OggS")) && b[4] == 0
}

// isID3v2 checks an ID3v2 header: "ID3", version 2 to 4, and a syncsafe size.
func isID3v2(b []byte) bool {
	if len(b) < 10 || !bytes.HasPrefix(b, []byte("ID3")) {
		return false
	}
	if b[3] < 2 || b[3] > 4 || b[4] == 0xFF {
		return false
	}
	return b[6]|b[7]|b[8]|b[9] < 0x80
}

// mp4AudioBrands are ftyp brands under which audio (AAC in particular) is
// carried. A video file with one of them still sniffs as MP4; the probe then
// looks for an audio track.
func mp4AudioBrand(brand []byte) bool {
	switch string(brand) {
	case "M4A ", "M4B ", "M4P ", "F4A ", "F4B ",
		"isom", "iso2", "iso3", "iso4", "iso5", "iso6", "iso8", "iso9",
		"mp41", "mp42", "mp71", "dash", "msdh", "cmfc", "caac",
		"3gp4", "3gp5", "3gp6", "3gp7", "3gp8", "3gp9", "3g2a", "3g2b", "3g2c":
		return true
	}
	return false
}

// isMP4Audio checks for an ftyp box at offset 0 whose major brand or one of
// whose compatible brands is plausible for audio.
func isMP4Audio(b []byte) bool {
	if len(b) < 12 || !bytes.Equal(b[4:8], []byte("ftyp")) {
		return false
	}
	size := binary.BigEndian.Uint32(b[:4])
	if size < 16 || size > 4096 || size%4 != 0 {
		return false
	}
	if mp4AudioBrand(b[8:12]) {
		return true
	}
	// Compatible brands follow the major brand and its minor version.
	end := min(int(size), len(b))
	for i := 16; i+4 <= end; i += 4 {
		if mp4AudioBrand(b[i : i+4]) {
			return true
		}
	}
	return false
}

// isMPEGAudio accepts an MPEG audio layer III frame header at offset 0 and,
// when the next frame's header fits in b, requires it to match too.
func isMPEGAudio(b []byte) bool {
	h, ok := parseMPEGHeader(b)
	if !ok {
		return false
	}
	if h.length+4 > len(b) {
		return true
	}
	next, ok := parseMPEGHeader(b[h.length:])
	return ok && next.version == h.version && next.sampleRate == h.sampleRate
}

// mpegHeader is what Sniff needs from an MPEG audio frame header.
type mpegHeader struct {
	version    int // 1 = MPEG-1, 2 = MPEG-2, 25 = MPEG-2.5
	sampleRate int
	bitRate    int // bits per second
	length     int // frame length in bytes, padding included
}

// parseMPEGHeader decodes a layer III frame header, refusing reserved or
// free-format values.
func parseMPEGHeader(b []byte) (mpegHeader, bool) {
	if len(b) < 4 || b[0] != 0xFF || b[1]&0xE0 != 0xE0 {
		return mpegHeader{}, false
	}
	var h mpegHeader
	switch (b[1] >> 3) & 3 {
	case 0:
		h.version = 25
	case 2:
		h.version = 2
	case 3:
		h.version = 1
	default:
		return mpegHeader{}, false
	}
	if (b[1]>>1)&3 != 1 { // layer III only
		return mpegHeader{}, false
	}
	bi, si := int(b[2]>>4), int((b[2]>>2)&3)
	if bi == 0 || bi == 15 || si == 3 || b[3]&3 == 2 { // free format, bad, reserved, reserved emphasis
		return mpegHeader{}, false
	}
	v1 := [...]int{0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320}
	v2 := [...]int{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160}
	rates := [...]int{44100, 48000, 32000}
	padding := int(b[2]>>1) & 1
	switch h.version {
	case 1:
		h.bitRate = v1[bi] * 1000
		h.sampleRate = rates[si]
		h.length = 144*h.bitRate/h.sampleRate + padding
	case 2:
		h.bitRate = v2[bi] * 1000
		h.sampleRate = rates[si] / 2
		h.length = 72*h.bitRate/h.sampleRate + padding
	default:
		h.bitRate = v2[bi] * 1000
		h.sampleRate = rates[si] / 4
		h.length = 72*h.bitRate/h.sampleRate + padding
	}
	return h, true
}

// describeNonAudio says in plain words what head probably is, for the
// reason given when a file is refused as not audio.
func describeNonAudio(head []byte) string {
	signatures := []struct{ prefix, what string }{
		{"%PDF-", "a PDF document"},
		{"PK\x03\x04", "a ZIP archive (or an Office document)"},
		{"PK\x05\x06", "an empty ZIP archive"},
		{"\x89PNG\r\n\x1a\n", "a PNG image"},
		{"\xff\xd8\xff", "a JPEG image"},
		{"GIF8", "a GIF image"},
		{"\x1f\x8b", "a gzip archive"},
		{"Rar!", "a RAR archive"},
		{"7z\xbc\xaf", "a 7-Zip archive"},
		{"\xd0\xcf\x11\xe0", "an old Microsoft Office document"},
		{"<?xml", "an XML document"},
	}
	for _, s := range signatures {
		if bytes.HasPrefix(head, []byte(s.prefix)) {
			return "it looks like " + s.what
		}
	}
	switch {
	case len(head) >= 12 && (string(head[:4]) == "RIFF" || string(head[:4]) == "RIFX"):
		return fmt.Sprintf("it is a RIFF file of type %q, not WAVE", printable(head[8:12]))
	case len(head) >= 12 && string(head[4:8]) == "ftyp":
		return fmt.Sprintf("it is an MP4/QuickTime file of brand %q, not an audio brand", printable(head[8:12]))
	case looksLikeHTML(head):
		return "it looks like an HTML page"
	case looksLikeText(head):
		return "it looks like text"
	}
	return "its first bytes match no audio format callimport accepts"
}

// looksLikeHTML reports whether head starts, after blanks, like HTML.
func looksLikeHTML(head []byte) bool {
	h := bytes.ToLower(bytes.TrimLeft(head[:min(len(head), 64)], " \t\r\n\ufeff"))
	return bytes.HasPrefix(h, []byte("<!doctype html")) || bytes.HasPrefix(h, []byte("<html"))
}

// looksLikeText reports whether head is valid UTF-8 without control bytes
// other than blanks (a rune cut at the end of head is allowed).
func looksLikeText(head []byte) bool {
	for _, c := range head {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' {
			return false
		}
	}
	for cut := 0; cut <= 3 && cut <= len(head); cut++ {
		if utf8.Valid(head[:len(head)-cut]) {
			return true
		}
	}
	return false
}

// printable replaces bytes outside printable ASCII with '?'.
func printable(b []byte) string {
	out := make([]byte, len(b))
	for i, c := range b {
		out[i] = '?'
		if c >= 0x20 && c < 0x7F {
			out[i] = c
		}
	}
	return string(out)
}
