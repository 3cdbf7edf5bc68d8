package sftpd

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"testing"
)

func TestLogErrHidesPaths(t *testing.T) {
	t.Parallel()
	for _, err := range []error{
		fmt.Errorf("stage: %w", &fs.PathError{Op: "open", Path: "c1/appel-0612345678.wav", Err: fs.ErrPermission}),
		&os.LinkError{Op: "rename", Old: "c1/appel-0612345678.wav.part", New: "c1/appel-0612345678.wav", Err: errors.New("busy")},
	} {
		if got := logErr(err); strings.Contains(got, "0612345678") || got == "" {
			t.Errorf("logErr(%v) = %q", err, got)
		}
	}
	if got := logErr(errors.New("plain")); got != "plain" {
		t.Errorf("logErr(plain) = %q", got)
	}
}
