package bench

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/textproto"
)

// WAVHeaderSize is the size of the canonical PCM WAV header.
const WAVHeaderSize = 44

// WAVHeader returns the 44-byte header of a PCM WAV file (16-bit mono,
// 8 kHz) whose whole size is size bytes; size must be at least 46 and even.
func WAVHeader(size int64) []byte {
	data := size - WAVHeaderSize
	h := make([]byte, 0, WAVHeaderSize)
	h = append(h, "RIFF"...)
	h = binary.LittleEndian.AppendUint32(h, uint32(size-8))
	h = append(h, "WAVEfmt "...)
	h = binary.LittleEndian.AppendUint32(h, 16)   // fmt chunk size
	h = binary.LittleEndian.AppendUint16(h, 1)    // PCM
	h = binary.LittleEndian.AppendUint16(h, 1)    // channels
	h = binary.LittleEndian.AppendUint32(h, 8000) // sample rate
	h = binary.LittleEndian.AppendUint32(h, 16000)
	h = binary.LittleEndian.AppendUint16(h, 2)  // block align
	h = binary.LittleEndian.AppendUint16(h, 16) // bits per sample
	h = append(h, "data"...)
	h = binary.LittleEndian.AppendUint32(h, uint32(data))
	return h
}

// NewWAV returns a reader of a valid PCM WAV file of size bytes (header
// included) whose samples are pseudo-random bytes from ChaCha8 seeded with
// seed: the same seed gives the same file, different seeds different
// files. It generates about 1 GB/s of one core on the project machine.
func NewWAV(seed uint64, size int64) io.Reader {
	var s [32]byte
	binary.LittleEndian.PutUint64(s[:], seed)
	return io.MultiReader(bytes.NewReader(WAVHeader(size)),
		io.LimitReader(rand.NewChaCha8(s), size-WAVHeaderSize))
}

// Form lays out a multipart/form-data body like the documented curl command:
// the file part first (file name call.wav, type audio/wav), then the
// envelope fields in the order given. Body(file) is Prefix, the file's
// bytes, Suffix.
type Form struct {
	Prefix, Suffix []byte
	ContentType    string
}

// NewForm builds the form's fixed parts; fields are name/value pairs.
func NewForm(fields ...[2]string) (Form, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	hdr := textproto.MIMEHeader{}
	hdr.Set("Content-Disposition", `form-data; name="file"; filename="call.wav"`)
	hdr.Set("Content-Type", "audio/wav")
	if _, err := mw.CreatePart(hdr); err != nil {
		return Form{}, fmt.Errorf("form file part: %w", err)
	}
	prefix := bytes.Clone(buf.Bytes())
	buf.Reset()
	for _, f := range fields {
		if err := mw.WriteField(f[0], f[1]); err != nil {
			return Form{}, fmt.Errorf("form field %s: %w", f[0], err)
		}
	}
	if err := mw.Close(); err != nil {
		return Form{}, fmt.Errorf("close form: %w", err)
	}
	return Form{Prefix: prefix, Suffix: bytes.Clone(buf.Bytes()), ContentType: mw.FormDataContentType()}, nil
}

// Len is the length of a body whose file has fileSize bytes.
func (f Form) Len(fileSize int64) int64 {
	return int64(len(f.Prefix)) + fileSize + int64(len(f.Suffix))
}

// Body returns the form around file. Its only method is Read, so the HTTP
// client copies it the same way as a raw body wrapped alike.
func (f Form) Body(file io.Reader) io.Reader {
	return struct{ io.Reader }{io.MultiReader(bytes.NewReader(f.Prefix), file, bytes.NewReader(f.Suffix))}
}

// Bytes returns the whole body around file as one slice.
func (f Form) Bytes(file []byte) []byte {
	b := make([]byte, 0, f.Len(int64(len(file))))
	b = append(b, f.Prefix...)
	b = append(b, file...)
	return append(b, f.Suffix...)
}

// DocFields are the envelope fields of the documented curl example, for
// campaign.
func DocFields(campaign string) [][2]string {
	return [][2]string{
		{"campaign_id", campaign},
		{"conversation_timestamp", "1704067200"},
		{"agent_email", "john.doe@example.com"},
		{"metadata", `[{"key":"key1","value":"value1"},{"key":"key2","value":"value2"}]`},
	}
}
