package sftpd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/callimport/callimport/internal/ingest"
)

// A parked upload is a recording whose bytes are durable in the blob store
// (ingest.Stage) but which is not a call yet, described by a marker file in
// the account's staging folder at .parked/<campaign>/<name>.park:
//
//   - "partial": the connection ended before the client closed the file.
//     The name then shows the bytes received, and an append (OpenSSH's
//     reput) continues from them; a truncating open starts again.
//   - "waiting": the campaign requires metadata and none had arrived when
//     the upload completed. Its sidecar or CSV row commits it; after the
//     deadline it is refused with a receipt.
//
// Markers are written with fsync before the client is answered, so they
// survive a restart; the sweeper (sweep.go) finishes them.
const (
	parkedDir    = ".parked"
	parkedSuffix = ".park"
	kindPartial  = "partial"
	kindWaiting  = "waiting"
)

// parked is the content of a marker file.
type parked struct {
	Kind     string        `json:"kind"`
	OrgID    string        `json:"org_id"`
	Campaign string        `json:"campaign_id"`
	Rel      string        `json:"file"`
	Staged   ingest.Staged `json:"staged"`
	ParkedAt time.Time     `json:"parked_at"`
	// Deadline is when a waiting upload is refused.
	Deadline time.Time `json:"deadline,omitzero"`
}

// markerPath is where v's marker lives under the account's staging root.
func markerPath(v vpath) string {
	return filepath.Join(parkedDir, filepath.FromSlash(path.Join(v.campaign, v.rel))+parkedSuffix)
}

// loadParked reads v's marker; ok is false when there is none.
func (f *fsys) loadParked(v vpath) (parked, bool, error) {
	b, err := f.root.ReadFile(markerPath(v))
	if errors.Is(err, fs.ErrNotExist) {
		return parked{}, false, nil
	}
	if err != nil {
		return parked{}, false, fmt.Errorf("read parked upload: %w", err)
	}
	var p parked
	if err := json.Unmarshal(b, &p); err != nil {
		return parked{}, false, fmt.Errorf("read parked upload %s: %w", v.rel, err)
	}
	return p, true, nil
}

// park writes v's marker durably: a temporary file synced, renamed, and
// its folder synced.
func (f *fsys) park(v vpath, p parked) error {
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("park upload: %w", err)
	}
	dst := markerPath(v)
	dir := filepath.Dir(dst)
	if err := f.root.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("park upload: %w", err)
	}
	tmp := dst + ".tmp"
	fh, err := f.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("park upload: %w", err)
	}
	_, err = fh.Write(b)
	if err == nil {
		err = fh.Sync()
	}
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = f.root.Rename(tmp, dst)
	}
	if err == nil {
		err = f.syncDir(dir)
	}
	if err != nil {
		_ = f.root.Remove(tmp)
		return fmt.Errorf("park upload: %w", err)
	}
	return nil
}

func (f *fsys) syncDir(dir string) error {
	d, err := f.root.Open(dir)
	if err != nil {
		return fmt.Errorf("sync folder: %w", err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync folder: %w", err)
	}
	return nil
}

// unpark removes v's marker; a missing one is not an error.
func (f *fsys) unpark(v vpath) {
	if err := f.root.Remove(markerPath(v)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		f.log.Warn("remove parked upload marker", "campaign_id", v.campaign, "err", logErr(err))
	}
}

// dropParked discards a parked upload: its blob, then its marker.
func (f *fsys) dropParked(v vpath, p parked) {
	f.s.cfg.Ingest.Discard(context.WithoutCancel(f.ctx), p.Staged)
	f.unpark(v)
}

// listParked returns the parked uploads in the folder of v (a campaign
// folder or a sub-folder), by file name.
func (f *fsys) listParked(v vpath) map[string]parked {
	dir := filepath.Join(parkedDir, filepath.FromSlash(path.Join(v.campaign, v.rel)))
	entries, err := fs.ReadDir(f.root.FS(), filepath.ToSlash(dir))
	if err != nil {
		return nil
	}
	out := map[string]parked{}
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), parkedSuffix)
		if !ok || e.IsDir() {
			continue
		}
		p, ok, err := f.loadParked(vpath{campaign: v.campaign, rel: path.Join(v.rel, name)})
		if err == nil && ok {
			out[name] = p
		}
	}
	return out
}

// parkedInfo is how a parked upload shows in listings: its name and the
// bytes received.
func parkedInfo(name string, p parked) fs.FileInfo {
	return fileInfo{name: name, size: p.Staged.Size, mod: p.ParkedAt, mode: 0o644}
}

// commitParked turns a waiting upload into a call with the envelope of its
// metadata and removes its marker. If a crash came between an earlier
// commit and the marker's removal, the call exists already and only the
// marker goes.
func (f *fsys) commitParked(v vpath, p parked, meta metaFound) error {
	f.s.parkMu.Lock()
	defer f.s.parkMu.Unlock()
	cur, ok, err := f.loadParked(v)
	if err != nil || !ok || cur.Staged.ID != p.Staged.ID {
		return err // finished meanwhile
	}
	if c, err := f.s.cfg.Store.CallGetByID(f.ctx, p.Staged.ID); err == nil && c.BlobKey == p.Staged.BlobKey {
		f.unpark(v)
		return nil
	}
	if _, err := f.s.cfg.Blobs.Attributes(f.ctx, p.Staged.BlobKey); err != nil {
		// The bytes are gone (removed as an orphan): nothing to commit.
		f.log.Warn("parked upload lost its bytes", "campaign_id", v.campaign, "err", logErr(err))
		f.unpark(v)
		return fmt.Errorf("commit waiting upload: %w", err)
	}
	res, err := f.s.cfg.Ingest.Commit(f.ctx, p.Staged, meta.env, sourceSFTP)
	f.record(v, res, err)
	if err != nil {
		if isFinal(err) {
			f.unpark(v)
		}
		return err
	}
	meta.used()
	f.unpark(v)
	f.log.Info("sftp waiting upload imported", "campaign_id", v.campaign, "call_id", res.Call.ID)
	return nil
}

// waitingFor returns the waiting upload a sidecar at v belongs to
// (call1.wav.json → call1.wav; call1.json → call1.*).
func (f *fsys) waitingFor(v vpath) (vpath, parked, bool) {
	exact, stem := audioStem(v.rel)
	dir := path.Dir(v.rel)
	if dir == "." {
		dir = ""
	}
	for name, p := range f.listParked(vpath{campaign: v.campaign, rel: dir}) {
		rel := path.Join(dir, name)
		if p.Kind != kindWaiting {
			continue
		}
		if rel == exact || (stem != "" && strings.TrimSuffix(rel, path.Ext(rel)) == stem) {
			return vpath{campaign: v.campaign, rel: rel}, p, true
		}
	}
	return vpath{}, parked{}, false
}

// lazyBlob reads a parked upload's bytes, opened on the first Read.
type lazyBlob struct {
	f   *fsys
	key string
	r   io.ReadCloser
}

func (l *lazyBlob) Read(b []byte) (int, error) {
	if l.r == nil {
		r, err := l.f.s.cfg.Blobs.NewRangeReader(l.f.ctx, l.key, 0, -1)
		if err != nil {
			return 0, fmt.Errorf("read the interrupted upload: %w", err)
		}
		l.r = r
	}
	n, err := l.r.Read(b)
	if errors.Is(err, io.EOF) {
		_ = l.r.Close()
	}
	return n, err //nolint:wrapcheck // io.EOF must pass unwrapped
}
