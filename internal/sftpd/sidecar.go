package sftpd

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/ingest"
	"github.com/callimport/callimport/internal/store"
)

// maxSidecar bounds a sidecar JSON file.
const maxSidecar = 256 << 10

// isSidecar reports whether a name is a sidecar JSON (call1.wav.json or call1.json).
func isSidecar(name string) bool { return strings.HasSuffix(strings.ToLower(name), ".json") }

// parseSidecar reads a sidecar for a campaign folder (call.ParseSidecar).
func parseSidecar(b []byte, campaign string, now func() time.Time) (call.Envelope, error) {
	return call.ParseSidecar(b, campaign, now())
}

// memWriter keeps a small metadata file (sidecar or CSV) in memory, up to
// limit bytes, and hands it to accept on close.
type memWriter struct {
	f      *fsys
	v      vpath
	limit  int64
	accept func(v vpath, b []byte) error
	mu     sync.Mutex
	buf    []byte
	err    error
}

// WriteAt places b at off, refusing files over the limit.
func (w *memWriter) WriteAt(b []byte, off int64) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	end := off + int64(len(b))
	if off < 0 || end > w.limit {
		w.err = &call.Error{Code: call.CodeTooLarge, Message: fmt.Sprintf("a metadata file may have at most %d bytes", w.limit)}
		return 0, w.f.status("metadata file", w.err)
	}
	if int64(len(w.buf)) < end {
		w.buf = append(w.buf, make([]byte, end-int64(len(w.buf)))...)
	}
	copy(w.buf[off:], b)
	return len(b), nil
}

// Close hands the file to accept.
func (w *memWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		w.f.record(w.v, ingest.Result{}, w.err)
		return w.f.status("metadata file", w.err)
	}
	return w.accept(w.v, w.buf)
}

// acceptSidecar validates a sidecar, then merges it into the call already
// made of its audio, or keeps it in the staging folder for the audio to come.
func (f *fsys) acceptSidecar(v vpath, b []byte) error {
	env, err := parseSidecar(b, v.campaign, f.s.cfg.Now)
	if err != nil {
		f.record(v, ingest.Result{}, err)
		return f.status("sidecar", err)
	}
	if av, p, ok := f.waitingFor(v); ok {
		err := f.commitParked(av, p, metaFound{env: env, found: true, used: func() {}})
		return f.status("import waiting upload", err)
	}
	if callID, ok := f.importedAudio(v); ok {
		_, err := f.s.cfg.Store.CallMergeMetadata(f.ctx, store.CallMergeMetadataParams{OrgID: f.orgID, ID: callID,
			Metadata: env.Metadata, AgentEmail: env.AgentEmail, ConversationTime: env.ConversationTime})
		if err != nil {
			return f.status("merge sidecar", err)
		}
		f.log.Info("sftp sidecar merged", "call_id", callID)
		return nil
	}
	if err := f.root.MkdirAll(filepath.Dir(v.local()), 0o700); err != nil {
		return f.status("keep sidecar", err)
	}
	tmp := v.local() + ".tmp-sidecar"
	if err := f.root.WriteFile(tmp, b, 0o600); err != nil {
		return f.status("keep sidecar", err)
	}
	return f.status("keep sidecar", f.root.Rename(tmp, v.local()))
}

// audioStem names the audio a sidecar belongs to: call1.wav.json → exact
// call1.wav; call1.json → stem call1 (any extension).
func audioStem(sidecar string) (exact, stem string) {
	base := strings.TrimSuffix(sidecar, path.Ext(sidecar))
	if path.Ext(base) != "" {
		return base, ""
	}
	return "", base
}

// importedAudio finds the call made of a sidecar's audio in the last
// receiptDays days, from the receipts.
func (f *fsys) importedAudio(v vpath) (string, bool) {
	rs, err := f.receipts(v.campaign)
	if err != nil {
		f.log.Warn("find the audio of a sidecar", "err", err.Error())
		return "", false
	}
	exact, stem := audioStem(v.rel)
	for i := len(rs) - 1; i >= 0; i-- {
		r := rs[i]
		if r.CallID == "" || isSidecar(r.FileName) {
			continue
		}
		if r.FileName == exact || (stem != "" && strings.TrimSuffix(r.FileName, path.Ext(r.FileName)) == stem) {
			return r.CallID, true
		}
	}
	return "", false
}

// sidecarFor returns the envelope of a sidecar staged for audio v
// (v.rel+".json", else the name without its extension + ".json"), with a
// function removing it once the audio is imported. Without one, found is
// false and the envelope holds only the campaign.
func (f *fsys) sidecarFor(v vpath) (metaFound, error) {
	m := metaFound{env: call.Envelope{CampaignID: v.campaign}, used: func() {}}
	for _, name := range []string{v.rel + ".json", strings.TrimSuffix(v.rel, path.Ext(v.rel)) + ".json"} {
		sv := vpath{campaign: v.campaign, rel: name}
		fh, err := f.root.Open(sv.local())
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return m, fmt.Errorf("open sidecar: %w", err)
		}
		b, err := io.ReadAll(io.LimitReader(fh, maxSidecar))
		_ = fh.Close()
		if err != nil {
			return m, fmt.Errorf("read sidecar: %w", err)
		}
		e, err := parseSidecar(b, v.campaign, f.s.cfg.Now)
		if err != nil {
			return m, err
		}
		return metaFound{env: e, found: true, used: func() { _ = f.root.Remove(sv.local()) }}, nil
	}
	return m, nil
}
