package formdata

import (
	"fmt"
	"mime"
	"net/http"
)

// FromRequest returns a Reader of req's body after checking its
// Content-Type: it returns ErrNotMultipart (wrapped) if the type is absent,
// unparsable or not multipart/form-data, ErrMissingBoundary if the
// boundary parameter is absent or empty, and ErrInvalidBoundary if it is
// longer than MaxBoundaryLen or holds CR, LF or NUL. The Reader reads
// req.Body and never closes it.
func FromRequest(req *http.Request, cfg Config) (*Reader, error) {
	v := req.Header.Get("Content-Type")
	if v == "" {
		return nil, fmt.Errorf("%w: no content type", ErrNotMultipart)
	}
	d, params, err := mime.ParseMediaType(v)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotMultipart, err)
	}
	if d != "multipart/form-data" {
		return nil, fmt.Errorf("%w: content type %q", ErrNotMultipart, d)
	}
	boundary := params["boundary"]
	switch {
	case boundary == "":
		return nil, ErrMissingBoundary
	case !validBoundary(boundary):
		return nil, ErrInvalidBoundary
	}
	body := req.Body
	if body == nil {
		body = http.NoBody
	}
	return NewReader(body, boundary, cfg), nil
}
