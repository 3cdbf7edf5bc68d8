package sftpd

import (
	"errors"
	"io/fs"
	"os"
)

// logErr is err's text for a log line without the file paths that
// *fs.PathError and *os.LinkError carry: uploaded file names often hold
// phone numbers or people's names, which must not reach the logs.
func logErr(err error) string {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		return pe.Op + ": " + pe.Err.Error()
	}
	if le, ok := errors.AsType[*os.LinkError](err); ok {
		return le.Op + ": " + le.Err.Error()
	}
	return err.Error()
}
