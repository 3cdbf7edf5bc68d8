package sftpd

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/pkg/sftp"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/ingest"
	"github.com/callimport/callimport/internal/store"
)

// The read-only folders of each campaign folder: _results/YYYY-MM-DD.csv
// (time, file, call id, status, reason of each upload that day, UTC) and
// _rejected/<name>.error.txt (why a file was refused). They are rendered
// from the receipts table on read, over the last receiptDays days.
const (
	resultsDir  = "_results"
	rejectedDir = "_rejected"
	receiptDays = 31
	dayFormat   = "2006-01-02"
	errorSuffix = ".error.txt"
)

// receiptOf returns the receipt of an ingest outcome, or false when the
// outcome was not final (a dependency failed: the client should retry).
func receiptOf(orgID string, v vpath, res ingest.Result, err error) (store.SFTPReceiptCreateParams, bool) {
	p := store.SFTPReceiptCreateParams{OrgID: orgID, CampaignID: v.campaign, FileName: v.rel}
	var ce *call.Error
	switch {
	case err == nil && res.Duplicate:
		p.CallID, p.Status = res.Call.ID, store.SFTPReceiptDuplicate
	case err == nil:
		p.CallID, p.Status = res.Call.ID, store.SFTPReceiptReceived
	case errors.As(err, &ce) && ce.Code != call.CodeUnavailable && ce.Code != call.CodeInternal && ce.Code != call.CodeMalformed:
		p.Status, p.Reason = store.SFTPReceiptRejected, publicReason(ce)
	default:
		return p, false
	}
	return p, true
}

// publicReason is the text a client may read about a refusal.
func publicReason(ce *call.Error) string { return ce.PublicReason() }

// record stores the receipt of an outcome; a failure is logged only.
func (f *fsys) record(v vpath, res ingest.Result, err error) {
	p, ok := receiptOf(f.orgID, v, res, err)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(f.ctx), 10*time.Second)
	defer cancel()
	if _, err := f.s.cfg.Store.SFTPReceiptCreate(ctx, p); err != nil {
		f.log.Error("record sftp receipt", "campaign_id", v.campaign, "err", err.Error())
	}
}

// receipts returns the campaign's receipts of the last receiptDays days.
func (f *fsys) receipts(campaign string) ([]store.SFTPReceipt, error) {
	now := f.s.cfg.Now().UTC()
	return f.s.cfg.Store.SFTPReceiptList(f.ctx, store.SFTPReceiptListParams{OrgID: f.orgID, CampaignID: campaign,
		Since: now.AddDate(0, 0, -receiptDays), Until: now.Add(time.Minute)})
}

// special reports whether v is in a campaign's _results or _rejected.
func special(v vpath) (dir, name string, ok bool) {
	dir, name, _ = strings.Cut(v.rel, "/")
	if dir != resultsDir && dir != rejectedDir {
		return "", "", false
	}
	return dir, name, true
}

// renderSpecial returns the files of a special folder, by name.
func (f *fsys) renderSpecial(campaign, dir string) (map[string][]byte, error) {
	rs, err := f.receipts(campaign)
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	if dir == rejectedDir {
		for _, r := range rs {
			if r.Status == store.SFTPReceiptRejected {
				files[path.Base(r.FileName)+errorSuffix] = []byte(r.Reason + "\n")
			}
		}
		return files, nil
	}
	writers := map[string]*csv.Writer{}
	bufs := map[string]*bytes.Buffer{}
	for _, r := range rs {
		day := r.CreatedAt.UTC().Format(dayFormat) + ".csv"
		w, ok := writers[day]
		if !ok {
			bufs[day] = &bytes.Buffer{}
			w = csv.NewWriter(bufs[day])
			_ = w.Write([]string{"time", "file", "call_id", "status", "reason"})
			writers[day] = w
		}
		_ = w.Write([]string{r.CreatedAt.UTC().Format(time.RFC3339), csvSafe(r.FileName), r.CallID, r.Status, csvSafe(r.Reason)})
	}
	for day, w := range writers {
		w.Flush()
		files[day] = bufs[day].Bytes()
	}
	return files, nil
}

// csvSafe keeps a spreadsheet from reading a cell as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// specialList lists a special folder, or stats one of its files.
func (f *fsys) specialList(v vpath, method string) (sftp.ListerAt, error) {
	dir, name, _ := special(v)
	if name == "" && method == "Stat" {
		return listerAt{f.dirInfo(dir)}, nil
	}
	files, err := f.renderSpecial(v.campaign, dir)
	if err != nil {
		return nil, f.status("list receipts", err)
	}
	infos := map[string]fs.FileInfo{}
	if dir == rejectedDir {
		infos = f.rejectedFiles(v.campaign)
	}
	for n, b := range files {
		infos[n] = fileInfo{name: n, size: int64(len(b)), mod: f.s.cfg.Now()}
	}
	if name != "" {
		fi, ok := infos[name]
		if !ok || method != "Stat" {
			return nil, sftp.ErrSSHFxNoSuchFile
		}
		return listerAt{fi}, nil
	}
	names := make([]string, 0, len(infos))
	for n := range infos {
		names = append(names, n)
	}
	slices.Sort(names)
	out := make(listerAt, 0, len(names))
	for _, n := range names {
		out = append(out, infos[n])
	}
	return out, nil
}

// specialRead opens a receipt file for reading.
func (f *fsys) specialRead(v vpath) (io.ReaderAt, error) {
	dir, name, _ := special(v)
	files, err := f.renderSpecial(v.campaign, dir)
	if err != nil {
		return nil, f.status("read receipts", err)
	}
	b, ok := files[name]
	if ok {
		return bytes.NewReader(b), nil
	}
	if dir == rejectedDir && !strings.Contains(name, "/") {
		if fh, err := f.root.Open(rejectedPath(v.campaign, name)); err == nil {
			return fh, nil
		}
	}
	return nil, sftp.ErrSSHFxNoSuchFile
}

// fileInfo is a rendered read-only file.
type fileInfo struct {
	name string
	size int64
	mod  time.Time
	mode fs.FileMode // 0o444 when zero
}

func (i fileInfo) Name() string { return i.name }
func (i fileInfo) Size() int64  { return i.size }
func (i fileInfo) Mode() fs.FileMode {
	if i.mode == 0 {
		return 0o444
	}
	return i.mode
}
func (i fileInfo) ModTime() time.Time { return i.mod }
func (i fileInfo) IsDir() bool        { return false }
func (i fileInfo) Sys() any           { return nil }
