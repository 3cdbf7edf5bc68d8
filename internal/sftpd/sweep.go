package sftpd

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/ingest"
)

// sweepLoop finishes parked uploads every SweepInterval until ctx ends,
// starting at once so that what waited across a restart is dealt with.
func (s *Server) sweepLoop(ctx context.Context) {
	t := time.NewTicker(s.cfg.SweepInterval)
	defer t.Stop()
	for {
		s.Sweep(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Sweep goes once through the parked uploads of every account: a waiting
// upload whose metadata is now staged is imported, one past its deadline
// is refused (receipt and _rejected/<name>.error.txt), and partial uploads
// older than PartialTTL are dropped.
func (s *Server) Sweep(ctx context.Context) {
	accounts, err := os.ReadDir(s.cfg.StagingDir)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			s.log.Error("sweep sftp parked uploads", "err", err.Error())
		}
		return
	}
	for _, a := range accounts {
		if ctx.Err() != nil {
			return
		}
		if a.IsDir() {
			s.sweepAccount(ctx, a.Name())
		}
	}
}

func (s *Server) sweepAccount(ctx context.Context, accountID string) {
	root, err := os.OpenRoot(filepath.Join(s.cfg.StagingDir, accountID))
	if err != nil {
		s.log.Error("sweep sftp parked uploads", "account_id", accountID, "err", err.Error())
		return
	}
	defer func() { _ = root.Close() }()
	pruneRejected(root, s.cfg.Now())
	log := s.log.With("account_id", accountID)
	_ = fs.WalkDir(root.FS(), parkedDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, parkedSuffix) || ctx.Err() != nil {
			return nil //nolint:nilerr // a folder that cannot be read is skipped
		}
		rel := strings.TrimSuffix(strings.TrimPrefix(p, parkedDir+"/"), parkedSuffix)
		campaign, name, ok := strings.Cut(rel, "/")
		if !ok {
			return nil
		}
		f := &fsys{s: s, ctx: ctx, log: log, root: root}
		v := vpath{campaign: campaign, rel: name}
		pk, ok, err := f.loadParked(v)
		if err != nil || !ok {
			return nil //nolint:nilerr // a bad marker is skipped
		}
		f.orgID = pk.OrgID
		f.sweepOne(v, pk) //nolint:contextcheck // f carries ctx, as a session's fsys does

		return nil
	})
}

// sweepOne finishes one parked upload if its time has come.
func (f *fsys) sweepOne(v vpath, p parked) {
	now := f.s.cfg.Now()
	switch p.Kind {
	case kindPartial:
		if now.Sub(p.ParkedAt) > f.s.cfg.PartialTTL {
			f.log.Info("sftp interrupted upload never resumed, dropped", "campaign_id", v.campaign)
			f.dropParked(v, p)
		}
	case kindWaiting:
		meta, err := f.sidecarFor(v)
		switch {
		case err != nil:
			f.refuseWaiting(v, p, err)
		case meta.found:
			if err := f.commitParked(v, p, meta); err != nil {
				f.log.Warn("import waiting sftp upload", "campaign_id", v.campaign, "err", logErr(err))
			}
		case !now.Before(p.Deadline):
			f.refuseWaiting(v, p, &call.Error{Code: call.CodeInvalid, Message: fmt.Sprintf(
				"no metadata arrived within %s: the campaign requires a sidecar (%s.json) or a CSV row naming the file",
				f.s.cfg.MetadataWait, v.rel)})
		}
	}
}

// refuseWaiting refuses a waiting upload for good: a receipt with the
// reason, then its bytes and marker go.
func (f *fsys) refuseWaiting(v vpath, p parked, reason error) {
	f.s.parkMu.Lock()
	defer f.s.parkMu.Unlock()
	cur, ok, err := f.loadParked(v)
	if err != nil || !ok || cur.Staged.ID != p.Staged.ID {
		return
	}
	if c, err := f.s.cfg.Store.CallGetByID(f.ctx, p.Staged.ID); err == nil && c.BlobKey == p.Staged.BlobKey {
		f.unpark(v) // committed before a crash
		return
	}
	f.record(v, ingest.Result{}, reason)
	f.log.Info("sftp waiting upload refused", "campaign_id", v.campaign, "reason", reason.Error())
	f.dropParked(v, p)
}
