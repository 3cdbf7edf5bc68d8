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

// upload streams one file into ingest while the client writes it: the
// writes are put in order (orderedWriter) into a pipe that Ingest reads in
// a goroutine, so memory stays bounded by the reorder buffer whatever the
// file's size. Close waits for the ingest result.
type upload struct {
	f    *fsys
	v    vpath
	pw   *io.PipeWriter
	ow   *orderedWriter
	done chan struct{}
	res  ingest.Result
	err  error

	mu      sync.Mutex
	aborted error
}

var (
	_ io.WriterAt        = (*upload)(nil)
	_ io.Closer          = (*upload)(nil)
	_ sftp.TransferError = (*upload)(nil)
)

// admitter is the optional capability of an Ingester (ingest.Service) that
// bounds the ingests running at once.
type admitter interface {
	Admit(orgID string) (release func(), err error)
}

// admit asks the Ingester to let one more ingest run now; a refusal is a
// *call.Error with CodeRateLimited ("server busy, retry later").
func (f *fsys) admit() (func(), error) {
	if a, ok := f.s.cfg.Ingest.(admitter); ok {
		return a.Admit(f.orgID)
	}
	return func() {}, nil
}

// openUpload starts an upload if the server admits one more ingest; if not,
// the open fails at once with the refusal's message, and the client may
// retry later.
func (f *fsys) openUpload(v vpath) (io.WriterAt, error) {
	release, err := f.admit()
	if err != nil {
		f.log.Info("sftp upload refused", "file", v.rel, "campaign_id", v.campaign, "err", err.Error())
		return nil, f.status("open upload", err)
	}
	return f.newUpload(v, release), nil
}

func (f *fsys) newUpload(v vpath, release func()) *upload {
	pr, pw := io.Pipe()
	u := &upload{f: f, v: v, pw: pw, ow: newOrderedWriter(pw, f.s.cfg.ReorderBuffer), done: make(chan struct{})}
	go func() {
		defer close(u.done)
		defer release()
		u.res, u.err = f.ingest(v, pr)
		pr.CloseWithError(errors.New("ingest finished"))
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
// client closed the file: the upload is abandoned and nothing is imported.
func (u *upload) TransferError(err error) {
	u.mu.Lock()
	if u.aborted == nil {
		u.aborted = fmt.Errorf("transfer interrupted: %w", err)
	}
	u.mu.Unlock()
}

func (u *upload) abort(err error) {
	u.mu.Lock()
	if u.aborted == nil {
		u.aborted = err
	}
	u.mu.Unlock()
	u.pw.CloseWithError(err)
}

// Close ends the stream and returns the import's outcome: nil once the
// call is committed (new or duplicate), else the refusal.
func (u *upload) Close() error {
	u.mu.Lock()
	aborted := u.aborted
	u.mu.Unlock()
	if aborted == nil {
		if _, err := u.ow.Finish(); err != nil {
			aborted = err
		}
	}
	if aborted != nil {
		u.pw.CloseWithError(aborted)
		<-u.done
		u.f.log.Info("sftp upload abandoned", "campaign_id", u.v.campaign, "reason", aborted.Error())
		return u.f.status("upload", aborted)
	}
	_ = u.pw.Close()
	<-u.done
	return u.f.status("upload", u.err)
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
	_, ierr := f.ingest(to, fh)
	_ = fh.Close()
	var ce *call.Error
	if ierr == nil || (errors.As(ierr, &ce) && ce.Code != call.CodeUnavailable && ce.Code != call.CodeInternal) {
		if err := f.root.Remove(from.local()); err != nil {
			f.log.Warn("remove staged upload", "campaign_id", from.campaign, "err", logErr(err))
		}
	}
	return f.status("import staged", ierr)
}

// ingest hands body to the intake path as a file of campaign v.campaign,
// with the envelope of its staged sidecar if one arrived first.
func (f *fsys) ingest(v vpath, body io.Reader) (ingest.Result, error) {
	env, used, err := f.sidecarFor(v)
	if err != nil {
		f.record(v, ingest.Result{}, err)
		return ingest.Result{}, err
	}
	res, err := f.s.cfg.Ingest.Ingest(f.ctx, ingest.Request{
		OrgID:    f.orgID,
		Envelope: env,
		Source:   call.SourceSFTP,
		FileName: v.rel,
		Body:     body,
	})
	f.record(v, res, err)
	if err == nil {
		used()
	}
	log := f.log.With("campaign_id", v.campaign) // never the file name: it often holds phone numbers or names
	if err != nil {
		log.Info("sftp upload refused", "err", err.Error())
		return res, err
	}
	log.Info("sftp upload imported", "call_id", res.Call.ID, "duplicate", res.Duplicate, "size_bytes", res.Call.SizeBytes)
	return res, nil
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
