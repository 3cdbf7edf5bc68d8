package sftpd

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sync"

	"github.com/pkg/sftp"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/ingest"
)

const sourceSFTP = call.SourceSFTP

// upload streams one file into the blob store while the client writes it:
// the writes are put in order (orderedWriter) into a bounded buffered pipe
// (bufPipe) that ingest.Stage reads in a goroutine, so memory stays bounded
// by the reorder buffer and the pipe whatever the file's size, and the
// client's first writes do not wait while ingest opens the intake and the
// blob. Close waits for the staged bytes, then commits the call (finish).
// A connection that ends before the close parks the bytes received as a
// partial upload that an append resumes; resume, when set, is that partial
// upload, whose bytes come first in the stream.
type upload struct {
	f      *fsys
	v      vpath
	pw     *bufPipe
	ow     *orderedWriter
	sink   *sink
	resume *parked
	done   chan struct{}
	st     ingest.Staged
	err    error
	// release gives back the admission slot taken by openUpload.
	release func()

	mu          sync.Mutex
	aborted     error
	interrupted bool
}

var (
	_ io.WriterAt        = (*upload)(nil)
	_ io.Closer          = (*upload)(nil)
	_ sftp.TransferError = (*upload)(nil)
)

func (f *fsys) newUpload(v vpath, resume *parked, release func()) *upload {
	pw := newBufPipe(f.s.rings, pipeBuffer)
	sk := &sink{f: f, v: v, pw: pw}
	u := &upload{f: f, v: v, pw: pw, sink: sk, ow: newOrderedWriter(sk, f.s.cfg.ReorderBuffer), resume: resume, done: make(chan struct{}),
		release: sync.OnceFunc(release)}
	u.ow.chunks = f.s.chunks
	var body io.Reader = pw
	if resume != nil {
		u.ow.next = resume.Staged.Size
		sk.written = resume.Staged.Size // its first bytes were audio
		sk.resumed = true
		body = io.MultiReader(&lazyBlob{f: f, key: resume.Staged.BlobKey}, pw)
	}
	go func() {
		defer close(u.done)
		u.st, u.err = f.s.cfg.Ingest.Stage(f.ctx, f.orgID, v.rel, body)
		if u.err != nil {
			pw.CloseRead(u.err) // the sink learns the refusal
			return
		}
		pw.CloseRead(errors.New("ingest finished"))
	}()
	return u
}

// WriteAt passes b on in order. If ingest has already refused the file,
// the refusal is returned.
func (u *upload) WriteAt(b []byte, off int64) (int, error) {
	n, err := u.ow.WriteAt(b, off)
	if err == nil {
		return n, nil
	}
	u.abort(err)
	<-u.done
	if u.err != nil {
		return 0, u.f.status("upload", u.err)
	}
	return 0, u.f.status("upload", err)
}

// TransferError is told by pkg/sftp that the connection ended before the
// client closed the file: Close then parks what arrived for a resume.
func (u *upload) TransferError(err error) {
	u.mu.Lock()
	if u.aborted == nil {
		u.aborted = fmt.Errorf("transfer interrupted: %w", err)
		u.interrupted = true
	}
	u.mu.Unlock()
}

func (u *upload) abort(err error) {
	u.mu.Lock()
	if u.aborted == nil {
		u.aborted = err
	}
	u.mu.Unlock()
	u.pw.CloseWrite(err)
}

// Close ends the stream and returns the import's outcome: nil once the
// call is committed (new or duplicate) or parked waiting for its
// metadata, else the refusal.
func (u *upload) Close() error {
	defer u.release()
	defer u.pw.release() // every path below waits for ingest (u.done) first
	u.mu.Lock()
	aborted, interrupted := u.aborted, u.interrupted
	u.mu.Unlock()
	if aborted == nil {
		if _, err := u.ow.Finish(); err != nil {
			aborted = err
		}
	}
	switch {
	case interrupted:
		u.pw.CloseWrite(nil) // the contiguous bytes received are kept
		<-u.done
		u.sink.keep(false, nil)
		u.parkPartial()
		return aborted // nobody is listening any more
	case aborted != nil:
		u.pw.CloseWrite(aborted)
		<-u.done
		u.sink.keep(false, nil)
		if u.err == nil {
			u.f.s.cfg.Ingest.Discard(u.f.ctx, u.st)
		}
		u.f.log.Info("sftp upload abandoned", "campaign_id", u.v.campaign, "reason", aborted.Error())
		return u.f.status("upload", aborted)
	}
	u.pw.CloseWrite(nil)
	<-u.done
	if u.err != nil {
		if u.resume != nil && isFinal(u.err) {
			u.f.dropParked(u.v, *u.resume) // its bytes cannot be read back
		}
		u.sink.keep(true, u.err)
		u.f.record(u.v, ingest.Result{}, u.err)
		u.f.log.Info("sftp upload refused", "campaign_id", u.v.campaign, "err", u.err.Error())
		return u.f.status("upload", u.err)
	}
	err := u.f.finish(u.v, u.st)
	if u.resume != nil {
		if cur, ok, _ := u.f.loadParked(u.v); ok && cur.Staged.ID == u.resume.Staged.ID {
			u.f.unpark(u.v)
		}
		u.f.s.cfg.Ingest.Discard(u.f.ctx, u.resume.Staged)
	}
	return err
}

// parkPartial keeps the bytes of an interrupted upload for a resume, in
// place of the partial upload it continued, if any.
func (u *upload) parkPartial() {
	log := u.f.log.With("campaign_id", u.v.campaign) // never the file name: it often holds phone numbers or names
	if u.err != nil {
		log.Info("sftp upload interrupted, nothing kept", "reason", u.err.Error())
		return
	}
	p := parked{Kind: kindPartial, OrgID: u.f.orgID, Campaign: u.v.campaign, Rel: u.v.rel, Staged: u.st, ParkedAt: u.f.s.cfg.Now()}
	if err := u.f.park(u.v, p); err != nil {
		log.Error("keep interrupted sftp upload", "err", err.Error())
		u.f.s.cfg.Ingest.Discard(u.f.ctx, u.st)
		return
	}
	if u.resume != nil {
		u.f.s.cfg.Ingest.Discard(u.f.ctx, u.resume.Staged)
	}
	log.Info("sftp upload interrupted, kept for a resume", "size_bytes", u.st.Size)
}

// metaFound is the metadata found for an audio file: the envelope of its
// sidecar or CSV row (found), and used, which removes the kept sidecar once
// its call is committed.
type metaFound struct {
	env   call.Envelope
	found bool
	used  func()
}

// finish turns staged bytes into a call of v's campaign with the envelope
// of its sidecar or CSV row. Without one, in a campaign that requires
// metadata, the upload is parked waiting for it.
func (f *fsys) finish(v vpath, st ingest.Staged) error {
	log := f.log.With("campaign_id", v.campaign) // never the file name: it often holds phone numbers or names
	meta, err := f.sidecarFor(v)
	if err != nil {
		f.record(v, ingest.Result{}, err)
		f.s.cfg.Ingest.Discard(f.ctx, st)
		log.Info("sftp upload refused", "err", err.Error())
		return f.status("upload", err)
	}
	if !meta.found && f.requiresMetadata(v.campaign) {
		now := f.s.cfg.Now()
		p := parked{Kind: kindWaiting, OrgID: f.orgID, Campaign: v.campaign, Rel: v.rel, Staged: st,
			ParkedAt: now, Deadline: now.Add(f.s.cfg.MetadataWait)}
		if err := f.park(v, p); err != nil {
			f.s.cfg.Ingest.Discard(f.ctx, st)
			return f.status("upload", err)
		}
		log.Info("sftp upload waits for its metadata", "until", p.Deadline)
		return nil
	}
	res, err := f.s.cfg.Ingest.Commit(f.ctx, st, meta.env, sourceSFTP)
	f.record(v, res, err)
	if err != nil {
		log.Info("sftp upload refused", "err", err.Error())
		return f.status("upload", err)
	}
	meta.used()
	log.Info("sftp upload imported", "call_id", res.Call.ID, "duplicate", res.Duplicate, "size_bytes", res.Call.SizeBytes)
	return nil
}

// importStaged imports a staged temporary file under its final name. The
// staged file is removed once imported or refused for good; it stays when
// a dependency failed, so that the rename can be retried.
func (f *fsys) importStaged(from, to vpath) error {
	if isSidecar(to.rel) || isCSV(to.rel) {
		limit, accept := int64(maxSidecar), f.acceptSidecar
		if isCSV(to.rel) {
			limit, accept = maxCSV, f.acceptCSV
		}
		fi, err := f.root.Stat(from.local())
		if err != nil {
			return f.status("import staged metadata", err)
		}
		var b []byte
		if fi.Size() > limit {
			err = &call.Error{Code: call.CodeTooLarge, Message: fmt.Sprintf("a metadata file may have at most %d bytes", limit)}
			f.record(to, ingest.Result{}, err)
		} else if b, err = f.root.ReadFile(from.local()); err == nil {
			err = accept(to, b)
		}
		_ = f.root.Remove(from.local())
		return f.status("import staged metadata", err)
	}
	release, err := f.admit()
	if err != nil { // the staged file stays: the rename can be retried
		return f.status("import staged", err)
	}
	defer release()
	fh, err := f.root.Open(from.local())
	if err != nil {
		return f.status("import staged", err)
	}
	st, err := f.s.cfg.Ingest.Stage(f.ctx, f.orgID, to.rel, fh)
	_ = fh.Close()
	if err != nil {
		f.record(to, ingest.Result{}, err)
	} else {
		err = f.finish(to, st)
	}
	if keepable(err) && f.keepStagedRejected(from, to) {
		return f.status("import staged", err)
	}
	if err == nil || isFinal(err) {
		if err := f.root.Remove(from.local()); err != nil {
			f.log.Warn("remove staged upload", "campaign_id", from.campaign, "err", logErr(err))
		}
	}
	return f.status("import staged", err)
}

// isFinal reports whether an intake error is a refusal for good (the
// client should not retry as is), as opposed to a dependency failure.
func isFinal(err error) bool {
	var ce *call.Error
	return errors.As(err, &ce) && ce.Code != call.CodeUnavailable && ce.Code != call.CodeInternal
}

// status is the one place where errors become SFTP statuses: a missing
// file is "no such file", permission is "permission denied", a domain
// refusal carries its public message; anything else is logged here and
// answered with a bare failure.
func (f *fsys) status(op string, err error) error {
	var ce *call.Error
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sftp.ErrSSHFxPermissionDenied), errors.Is(err, sftp.ErrSSHFxNoSuchFile):
		return err
	case errors.Is(err, errHole), errors.Is(err, errTooFarAhead):
		return errors.New("upload incomplete: " + err.Error())
	case errors.As(err, &ce) && ce.Code != call.CodeInternal && ce.Code != call.CodeUnavailable:
		msg := ce.Message
		if msg == "" {
			msg = string(ce.Code)
		}
		return fmt.Errorf("%s: %s", ce.Code, msg)
	case errors.Is(err, fs.ErrNotExist):
		return sftp.ErrSSHFxNoSuchFile
	case errors.Is(err, fs.ErrPermission):
		return sftp.ErrSSHFxPermissionDenied
	case errors.Is(err, fs.ErrExist):
		return errors.New("already exists")
	}
	f.log.Error("sftp "+op, "err", logErr(err))
	return sftp.ErrSSHFxFailure
}
