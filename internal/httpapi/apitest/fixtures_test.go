package apitest_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
)

// wavHeader returns the 44-byte header of a 16-bit PCM mono WAV at rate Hz
// whose data chunk declares dataLen bytes.
func wavHeader(rate int, dataLen uint32) []byte {
	var b bytes.Buffer
	le := func(v any) { _ = binary.Write(&b, binary.LittleEndian, v) }
	b.WriteString("RIFF")
	le(36 + dataLen)
	b.WriteString("WAVEfmt ")
	le(uint32(16))
	le(uint16(1)) // PCM
	le(uint16(1)) // mono
	le(uint32(rate))
	le(uint32(rate * 2))
	le(uint16(2))
	le(uint16(16))
	b.WriteString("data")
	le(dataLen)
	return b.Bytes()
}

// wav returns a valid 8 kHz 16-bit mono WAV of samples samples, holding a
// tone that depends on seed (so that different seeds differ in SHA-256).
func wav(seed, samples int) []byte {
	b := wavHeader(8000, uint32(samples*2))
	g := &toneReader{seed: seed, left: int64(samples * 2)}
	data, _ := io.ReadAll(g)
	return append(b, data...)
}

// toneReader generates left bytes of a loud 16-bit triangle wave without
// holding them in memory: one period is computed once and repeated.
type toneReader struct {
	seed   int
	pos    int64
	left   int64
	period []byte
}

func (r *toneReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	if r.period == nil {
		n := 16 + r.seed%4000
		r.period = make([]byte, 2*n)
		for i := range n {
			v := int16((i*2*16000)/n - 16000)
			binary.LittleEndian.PutUint16(r.period[2*i:], uint16(v))
		}
	}
	p = p[:min(int64(len(p)), r.left)]
	done := 0
	for done < len(p) {
		k := copy(p[done:], r.period[r.pos%int64(len(r.period)):])
		done += k
		r.pos += int64(k)
	}
	r.left -= int64(done)
	return done, nil
}

// bigWAV streams a valid WAV of about size bytes without holding it.
func bigWAV(seed int, size int64) (io.Reader, int64) {
	data := (size - 44) &^ 1
	return io.MultiReader(bytes.NewReader(wavHeader(8000, uint32(data))), &toneReader{seed: seed, left: data}), data + 44
}

// part is one multipart/form-data part. A part with file set is a file
// part; disposition, when set, replaces the whole Content-Disposition.
type part struct {
	name        string
	file        string
	isFile      bool
	disposition string
	body        []byte
}

func field(name, value string) part { return part{name: name, body: []byte(value)} }

func filePart(name string, body []byte) part {
	return part{name: "file", file: name, isFile: true, body: body}
}

// boundary is the multipart boundary of form.
const boundary = "----callimport-test-boundary-7f3a"

// form encodes parts by hand (so that tests can send what mime/multipart
// would refuse to write: raw non-UTF-8 names, duplicated fields, ...).
func form(parts ...part) []byte {
	var b bytes.Buffer
	for _, p := range parts {
		fmt.Fprintf(&b, "--%s\r\n", boundary)
		switch {
		case p.disposition != "":
			fmt.Fprintf(&b, "Content-Disposition: %s\r\n", p.disposition)
		case p.isFile:
			fmt.Fprintf(&b, "Content-Disposition: form-data; name=%q; filename=\"%s\"\r\n", p.name,
				strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(p.file))
			b.WriteString("Content-Type: application/octet-stream\r\n")
		default:
			fmt.Fprintf(&b, "Content-Disposition: form-data; name=%q\r\n", p.name)
		}
		b.WriteString("\r\n")
		b.Write(p.body)
		b.WriteString("\r\n")
	}
	fmt.Fprintf(&b, "--%s--\r\n", boundary)
	return b.Bytes()
}

// formType is the Content-Type of form.
const formType = "multipart/form-data; boundary=" + boundary

// pdf is the start of a PDF file.
var pdf = []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n" + strings.Repeat("0 0 0 RG\n", 40))

// metadataPairs returns a JSON array of n distinct pairs.
func metadataPairs(n int) string {
	items := make([]string, n)
	for i := range items {
		items[i] = fmt.Sprintf(`{"key":"k%d","value":"v%d"}`, i, i)
	}
	return "[" + strings.Join(items, ",") + "]"
}
