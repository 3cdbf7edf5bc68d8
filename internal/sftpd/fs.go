package sftpd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/pkg/sftp"
)

// fsys is one session's virtual tree: "/" lists the campaigns the account
// may import into; below a campaign folder, sub-folders and temporary files
// live in the account's staging folder, confined by an os.Root.
type fsys struct {
	s         *Server
	ctx       context.Context
	log       *slog.Logger
	orgID     string
	campaigns []string // sorted
	// requireMeta holds the campaigns whose audio waits for its metadata.
	requireMeta map[string]bool
	root        *os.Root // the account's staging folder
	started     time.Time
}

// newFS opens the account's view. The account is read again so that a
// change since the login (disabled, campaigns) applies.
func (s *Server) newFS(ctx context.Context, log *slog.Logger, orgID, accountID string) (*fsys, error) {
	a, err := s.cfg.Store.SFTPAccountGet(ctx, orgID, accountID)
	if err != nil {
		return nil, fmt.Errorf("open sftp session: %w", err)
	}
	if a.Disabled {
		return nil, fmt.Errorf("open sftp session: %w", errDisabled)
	}
	cs, err := s.cfg.Store.CampaignList(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("open sftp session: %w", err)
	}
	var ids []string
	req := map[string]bool{}
	for _, c := range cs {
		if len(a.CampaignIDs) == 0 || slices.Contains(a.CampaignIDs, c.ID) {
			ids = append(ids, c.ID)
			req[c.ID] = c.RequireMetadata
		}
	}
	slices.Sort(ids)
	dir := filepath.Join(s.cfg.StagingDir, a.ID)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open sftp session: create staging folder: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open sftp session: %w", err)
	}
	return &fsys{s: s, ctx: ctx, log: log, orgID: orgID, campaigns: ids, requireMeta: req, root: root,
		started: s.cfg.Now()}, nil
}

// requiresMetadata reports whether audio of the campaign waits for its
// sidecar or CSV row.
func (f *fsys) requiresMetadata(campaign string) bool { return f.requireMeta[campaign] }

// Close releases the staging root.
func (f *fsys) Close() error { return f.root.Close() }

// handlers returns the pkg/sftp handlers of the tree.
func (f *fsys) handlers() sftp.Handlers {
	return sftp.Handlers{FileGet: f, FilePut: f, FileCmd: f, FileList: f}
}

// vpath is a parsed virtual path: the root (campaign ""), a campaign
// folder (rel ""), or a name below one (rel, slash-separated).
type vpath struct {
	campaign string
	rel      string
}

// local is the path under the staging root.
func (v vpath) local() string { return filepath.FromSlash(path.Join(v.campaign, v.rel)) }

// parse confines p to the tree: anything outside the account's campaign
// folders is sftp.ErrSSHFxPermissionDenied.
func (f *fsys) parse(p string) (vpath, error) {
	p = path.Clean("/" + p)
	if p == "/" {
		return vpath{}, nil
	}
	campaign, rel, _ := strings.Cut(p[1:], "/")
	if _, ok := slices.BinarySearch(f.campaigns, campaign); !ok {
		return vpath{}, sftp.ErrSSHFxPermissionDenied
	}
	if rel != "" && !filepath.IsLocal(filepath.FromSlash(rel)) {
		return vpath{}, sftp.ErrSSHFxPermissionDenied
	}
	return vpath{campaign: campaign, rel: rel}, nil
}

// isTemp reports whether a file name is a temporary one that waits for its
// rename: *.part, *.filepart, *.tmp or a dot-file.
func isTemp(name string) bool {
	base := strings.ToLower(path.Base(name))
	return strings.HasPrefix(base, ".") || strings.HasSuffix(base, ".part") ||
		strings.HasSuffix(base, ".filepart") || strings.HasSuffix(base, ".tmp")
}

// Fileread refuses downloads,
// except the receipts in _results and _rejected.
func (f *fsys) Fileread(r *sftp.Request) (io.ReaderAt, error) {
	v, err := f.parse(r.Filepath)
	if err != nil {
		return nil, err
	}
	if _, name, ok := special(v); ok && name != "" {
		return f.specialRead(v)
	}
	return nil, sftp.ErrSSHFxPermissionDenied
}

// Filewrite opens an upload: a temporary name is written to the staging
// folder (at the client's offsets, so it can be resumed), any other name
// streams into ingest and is imported on close.
func (f *fsys) Filewrite(r *sftp.Request) (io.WriterAt, error) {
	v, err := f.parse(r.Filepath)
	if err != nil {
		return nil, err
	}
	if _, _, ok := special(v); ok || v.rel == "" {
		return nil, sftp.ErrSSHFxPermissionDenied
	}
	switch {
	case !isTemp(v.rel) && isSidecar(v.rel):
		return &memWriter{f: f, v: v, limit: maxSidecar, accept: f.acceptSidecar}, nil
	case !isTemp(v.rel) && isCSV(v.rel):
		return &memWriter{f: f, v: v, limit: maxCSV, accept: f.acceptCSV}, nil
	case !isTemp(v.rel):
		return f.openUpload(v, r.Pflags())
	}
	if err := f.root.MkdirAll(filepath.Dir(v.local()), 0o700); err != nil {
		return nil, f.status("stage upload", err)
	}
	flags := os.O_WRONLY | os.O_CREATE
	if r.Pflags().Trunc {
		flags |= os.O_TRUNC
	}
	fh, err := f.root.OpenFile(v.local(), flags, 0o600)
	if err != nil {
		return nil, f.status("stage upload", err)
	}
	return fh, nil
}

// openUpload opens an upload to a final name. An append (OpenSSH's
// reput) to a partial upload continues it; a truncating open replaces a
// parked upload.
//
// The server must first admit one more ingest (admission limits); if not,
// the open fails at once with "server busy, retry later" and the client
// may retry. The slot is held until the upload's Close.
func (f *fsys) openUpload(v vpath, fl sftp.FileOpenFlags) (io.WriterAt, error) {
	p, ok, err := f.loadParked(v)
	if err != nil {
		return nil, f.status("open upload", err)
	}
	var resume *parked
	switch {
	case !ok:
	case fl.Trunc:
		f.dropParked(v, p)
	case p.Kind == kindPartial:
		resume = &p
	default:
		return nil, f.status("open upload", fs.ErrExist)
	}
	release, err := f.admit()
	if err != nil {
		f.log.Info("sftp upload refused", "campaign_id", v.campaign, "err", err.Error())
		return nil, f.status("open upload", err)
	}
	return f.newUpload(v, resume, release), nil
}

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

// Filecmd handles renames (importing a temporary file renamed to a final
// name), removes, folders; setstat is accepted and ignored; links refused.
func (f *fsys) Filecmd(r *sftp.Request) error {
	v, err := f.parse(r.Filepath)
	if err != nil {
		return err
	}
	if dir, name, ok := special(v); ok {
		if dir == rejectedDir && r.Method == "Remove" && name != "" && !strings.Contains(name, "/") {
			return f.status("remove", f.root.Remove(rejectedPath(v.campaign, name)))
		}
		return sftp.ErrSSHFxPermissionDenied
	}
	switch r.Method {
	case "Setstat":
		return nil
	case "Rename", "PosixRename":
		return f.rename(v, r.Target)
	case "Mkdir":
		if v.rel == "" {
			return fs.ErrExist
		}
		return f.status("mkdir", f.root.MkdirAll(v.local(), 0o700))
	case "Rmdir", "Remove":
		if v.rel == "" {
			return sftp.ErrSSHFxPermissionDenied
		}
		if p, ok, err := f.loadParked(v); err == nil && ok && r.Method == "Remove" {
			f.dropParked(v, p)
			return nil
		}
		return f.status("remove", f.root.Remove(v.local()))
	}
	return sftp.ErrSSHFxPermissionDenied
}

// rename moves a staged file or folder, or imports a staged file renamed
// to a final name.
func (f *fsys) rename(from vpath, target string) error {
	to, err := f.parse(target)
	if err != nil {
		return err
	}
	if _, _, ok := special(to); ok || from.rel == "" || to.rel == "" {
		return sftp.ErrSSHFxPermissionDenied
	}
	fi, err := f.root.Stat(from.local())
	if err != nil {
		return f.status("rename", err)
	}
	if fi.IsDir() || isTemp(to.rel) {
		if err := f.root.MkdirAll(filepath.Dir(to.local()), 0o700); err != nil {
			return f.status("rename", err)
		}
		return f.status("rename", f.root.Rename(from.local(), to.local()))
	}
	return f.importStaged(from, to)
}

// Filelist lists and stats the tree; links are refused.
func (f *fsys) Filelist(r *sftp.Request) (sftp.ListerAt, error) {
	v, err := f.parse(r.Filepath)
	if err != nil {
		return nil, err
	}
	if _, _, ok := special(v); ok && (r.Method == "List" || r.Method == "Stat") {
		return f.specialList(v, r.Method)
	}
	switch r.Method {
	case "List":
		return f.list(v)
	case "Stat":
		if v.rel == "" {
			return listerAt{f.dirInfo(path.Base(path.Clean("/" + r.Filepath)))}, nil
		}
		if p, ok, err := f.loadParked(v); err == nil && ok {
			return listerAt{parkedInfo(path.Base(v.rel), p)}, nil
		}
		fi, err := f.root.Stat(v.local())
		if err != nil {
			return nil, f.status("stat", err)
		}
		return listerAt{fi}, nil
	}
	return nil, sftp.ErrSSHFxPermissionDenied
}

func (f *fsys) list(v vpath) (sftp.ListerAt, error) {
	if v.campaign == "" {
		out := make(listerAt, 0, len(f.campaigns))
		for _, c := range f.campaigns {
			out = append(out, f.dirInfo(c))
		}
		return out, nil
	}
	entries, err := fs.ReadDir(f.root.FS(), filepath.ToSlash(v.local()))
	parkedHere := f.listParked(v)
	if errors.Is(err, fs.ErrNotExist) && (v.rel == "" || len(parkedHere) > 0) {
		err = nil
	}
	if err != nil {
		return nil, f.status("list", err)
	}
	out := make(listerAt, 0, len(entries)+len(parkedHere)+2)
	if v.rel == "" {
		out = append(out, f.dirInfo(rejectedDir), f.dirInfo(resultsDir))
	}
	for name, p := range parkedHere {
		out = append(out, parkedInfo(name, p))
	}
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		out = append(out, fi)
	}
	return out, nil
}

// dirInfo is a folder of the virtual tree.
func (f *fsys) dirInfo(name string) fs.FileInfo {
	return dirInfo{name: name, mod: f.started}
}

type dirInfo struct {
	name string
	mod  time.Time
}

func (d dirInfo) Name() string       { return d.name }
func (d dirInfo) Size() int64        { return 0 }
func (d dirInfo) Mode() fs.FileMode  { return fs.ModeDir | 0o755 }
func (d dirInfo) ModTime() time.Time { return d.mod }
func (d dirInfo) IsDir() bool        { return true }
func (d dirInfo) Sys() any           { return nil }

// listerAt serves a fixed list of entries.
type listerAt []fs.FileInfo

// ListAt copies entries from offset into ls; io.EOF once past the end.
func (l listerAt) ListAt(ls []fs.FileInfo, offset int64) (int, error) {
	if offset >= int64(len(l)) {
		return 0, io.EOF
	}
	n := copy(ls, l[offset:])
	if n < len(ls) {
		return n, io.EOF
	}
	return n, nil
}
