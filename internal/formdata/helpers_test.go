package formdata

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/textproto"
	"path/filepath"
	"reflect"
	"testing/iotest"
)

// result is what a test sees of one part.
type result struct {
	Name, File string
	Header     textproto.MIMEHeader
	Body       string
}

func (r result) String() string {
	return fmt.Sprintf("{name %q file %q header %v body %q}", r.Name, r.File, r.Header, r.Body)
}

// readMode is how a test consumes part bodies.
type readMode int

const (
	modeCopy  readMode = iota // io.Copy, so Part.WriteTo
	modeRead7                 // Read with a 7-byte buffer
	modeField                 // ReadField
	modeSkip                  // bodies not read: NextPart skips them
	numModes
)

// srcMode is how the test feeds the body.
type srcMode int

const (
	srcWhole   srcMode = iota // bytes.Reader
	srcOneByte                // one byte per Read
	srcHalf                   // half of each Read
	srcDataErr                // io.EOF together with the last bytes
	numSrcModes
)

func source(body []byte, m srcMode) io.Reader {
	r := bytes.NewReader(body)
	switch m {
	case srcOneByte:
		return iotest.OneByteReader(r)
	case srcHalf:
		return iotest.HalfReader(r)
	case srcDataErr:
		return iotest.DataErrReader(r)
	}
	return r
}

// parse reads every part of the body from src. It returns the parts seen
// and the first error other than the final io.EOF.
func parse(src io.Reader, boundary string, cfg Config, mode readMode) ([]result, error) {
	mr := NewReader(src, boundary, cfg)
	defer mr.Close()
	var out []result
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		res := result{Name: p.FormName(), File: p.FileName(), Header: p.Header}
		switch mode {
		case modeCopy:
			var b bytes.Buffer
			_, err = io.Copy(&b, p)
			res.Body = b.String()
		case modeRead7:
			var b []byte
			buf := make([]byte, 7)
			for {
				n, rerr := p.Read(buf)
				b = append(b, buf[:n]...)
				if rerr != nil {
					if !errors.Is(rerr, io.EOF) {
						err = rerr
					}
					break
				}
			}
			res.Body = string(b)
		case modeField:
			res.Body, err = p.ReadField(1 << 30)
		case modeSkip:
		}
		out = append(out, res)
		if err != nil {
			return out, err
		}
	}
}

// parseStdlib is the oracle: mime/multipart's NextRawPart, with FileName
// as it returns it (a base name).
func parseStdlib(body []byte, boundary string) ([]result, error) {
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	var out []result
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF { //nolint:errorlint // mime/multipart wraps io.EOF in real errors ("NextPart: EOF")
			return out, nil
		}
		if err != nil {
			return out, err
		}
		b, err := io.ReadAll(p)
		out = append(out, result{Name: p.FormName(), File: p.FileName(), Header: p.Header, Body: string(b)})
		if err != nil {
			return out, err
		}
	}
}

// baseNames reduces file names as mime/multipart does.
func baseNames(rs []result) []result {
	out := make([]result, len(rs))
	for i, r := range rs {
		if r.File != "" {
			r.File = filepath.Base(r.File)
		}
		out[i] = r
	}
	return out
}

// sameResults compares parts, ignoring bodies when mode is modeSkip.
func sameResults(a, b []result, mode readMode) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if mode == modeSkip {
			x.Body, y.Body = "", ""
		}
		if len(x.Header) == 0 && len(y.Header) == 0 {
			x.Header, y.Header = nil, nil
		}
		if !reflect.DeepEqual(x, y) {
			return false
		}
	}
	return true
}

// isExcluded reports whether err is a rejection that mime/multipart does
// not make on purpose: a limit, or a bare-LF boundary line (its "LF mode").
func isExcluded(err error) bool {
	var le *LimitError
	var fe *FormatError
	return errors.As(err, &le) || errors.As(err, &fe) && fe.Msg == msgBareLF
}
