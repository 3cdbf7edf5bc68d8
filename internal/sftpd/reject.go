package sftpd

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sync"
	"time"

	"github.com/callimport/callimport/internal/audio"
	"github.com/callimport/callimport/internal/call"
)

// Refused files are kept for the client in the account's staging folder at
// .rejected/<campaign>/<base name> and shown in the campaign's _rejected
// folder beside <name>.error.txt, for receiptDays days. Only files refused
// from their first bytes (not audio) are kept, up to maxRejected bytes; a
// larger one shows only its .error.txt.
const (
	rejectedStore = ".rejected"
	maxRejected   = 64 << 20
)

// rejectedPath is where the refused file of v is kept under the account's
// staging root.
func rejectedPath(campaign, name string) string {
	return filepath.Join(rejectedStore, campaign, path.Base(name))
}

// keepable reports whether a refusal keeps the file in _rejected.
func keepable(err error) bool {
	var ce *call.Error
	return errors.As(err, &ce) && ce.Code == call.CodeNotAudio
}

// sink is what the ordered stream of an upload is written to: the pipe to
// ingest, until ingest refuses the file from its first bytes; the rest of
// the upload (with the bytes ingest read, kept aside, and those it left in
// the pipe) then goes to a spool file so that the refused file ends in
// _rejected whole.
type sink struct {
	f  *fsys
	v  vpath
	pw *bufPipe

	mu      sync.Mutex
	head    []byte // the first audio.SniffSize bytes written
	written int64
	resumed bool // the stream continues a partial upload: its start was audio
	spool   *os.File
	spooled int64
}

func (s *sink) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.spool != nil {
		return s.toSpool(b)
	}
	if len(s.head) < audio.SniffSize {
		s.head = append(s.head, b[:min(len(b), audio.SniffSize-len(s.head))]...)
	}
	n, err := s.pw.Write(b)
	s.written += int64(n)
	if err == nil || !keepable(err) {
		return n, err //nolint:wrapcheck // the pipe's error is the ingest refusal
	}
	// Ingest refused the file from its first bytes: keep it whole.
	if !s.openSpool() {
		return n, err //nolint:wrapcheck // as above
	}
	k, err := s.toSpool(b[n:])
	return n + k, err
}

// openSpool starts the spool with the bytes written so far, if ingest read
// none beyond the head (it refused the file from its first bytes); s.mu
// is held.
func (s *sink) openSpool() bool {
	nread, rest := s.pw.unread()
	if s.resumed || nread > int64(len(s.head)) {
		return false
	}
	if err := s.f.root.MkdirAll(filepath.Dir(rejectedPath(s.v.campaign, s.v.rel)), 0o700); err != nil {
		return false
	}
	sp, err := s.f.root.OpenFile(rejectedPath(s.v.campaign, s.v.rel)+".tmp", os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return false
	}
	s.spool = sp
	if _, err = s.toSpool(s.head[:nread]); err != nil {
		return false
	}
	_, err = s.toSpool(rest)
	return err == nil
}

// toSpool appends b to the spool; s.mu is held.
func (s *sink) toSpool(b []byte) (int, error) {
	if s.spooled+int64(len(b)) > maxRejected {
		s.drop()
		return 0, &call.Error{Code: call.CodeNotAudio, Message: "the file is not a recording in a supported format"}
	}
	n, err := s.spool.Write(b)
	s.spooled += int64(n)
	if err != nil {
		s.drop()
		return n, fmt.Errorf("keep refused file: %w", err)
	}
	return n, nil
}

// drop abandons the spool; s.mu is held.
func (s *sink) drop() {
	if s.spool == nil {
		return
	}
	_ = s.spool.Close()
	_ = s.f.root.Remove(rejectedPath(s.v.campaign, s.v.rel) + ".tmp")
	s.spool = nil
}

// keep moves a complete spool into _rejected when refusal keeps the file
// (refused at the close, a short file is all in head); it drops the spool
// of a file left incomplete.
func (s *sink) keep(complete bool, refusal error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.spool == nil && (!complete || !keepable(refusal) || !s.openSpool()) {
		return
	}
	if !complete {
		s.drop()
		return
	}
	err := s.spool.Close()
	s.spool = nil
	dst := rejectedPath(s.v.campaign, s.v.rel)
	if err == nil {
		err = s.f.root.Rename(dst+".tmp", dst)
	}
	if err != nil {
		_ = s.f.root.Remove(dst + ".tmp")
		s.f.log.Warn("keep refused sftp upload", "campaign_id", s.v.campaign, "err", logErr(err))
	}
}

// rejectedFiles lists the refused files kept for a campaign.
func (f *fsys) rejectedFiles(campaign string) map[string]fs.FileInfo {
	out := map[string]fs.FileInfo{}
	entries, err := fs.ReadDir(f.root.FS(), filepath.ToSlash(filepath.Join(rejectedStore, campaign)))
	if err != nil {
		return out
	}
	for _, e := range entries {
		if fi, err := e.Info(); err == nil && fi.Mode().IsRegular() && filepath.Ext(e.Name()) != ".tmp" {
			out[e.Name()] = fileInfo{name: e.Name(), size: fi.Size(), mod: fi.ModTime()}
		}
	}
	return out
}

// keepStagedRejected moves a staged temporary file refused from its first
// bytes into _rejected.
func (f *fsys) keepStagedRejected(from, to vpath) bool {
	fi, err := f.root.Stat(from.local())
	if err != nil || fi.Size() > maxRejected {
		return false
	}
	dst := rejectedPath(to.campaign, to.rel)
	if err := f.root.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return false
	}
	return f.root.Rename(from.local(), dst) == nil
}

// pruneRejected removes kept refused files older than the receipts shown.
func pruneRejected(root *os.Root, now time.Time) {
	_ = fs.WalkDir(root.FS(), rejectedStore, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil //nolint:nilerr // best effort
		}
		if fi, err := d.Info(); err == nil && now.Sub(fi.ModTime()) > receiptDays*24*time.Hour {
			_ = root.Remove(filepath.FromSlash(p))
		}
		return nil
	})
}
