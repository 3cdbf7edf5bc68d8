package sftppull

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/pkg/sftp"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/ingest"
)

// candidate is a remote file listed for import.
type candidate struct {
	path    string
	size    int64
	modTime time.Time
	// imported means the ledger has it as a call: only the after-import
	// action remains.
	imported bool
}

// Run imports what src's folder holds now. It returns an error (and fetches
// nothing) when the connection, the host key or the listing fails; failures
// of single files are counted in Report.Errors and leave the file in place
// for the next run.
func (r *Runner) Run(ctx context.Context, src Source) (Report, error) {
	var rep Report
	if src.Pattern != "" {
		if _, err := path.Match(src.Pattern, "x"); err != nil {
			return rep, fmt.Errorf("sftp pull: pattern %q: %w", src.Pattern, err)
		}
	}
	if src.After.Kind == "" {
		src.After.Kind = "keep"
	}
	sc, closeConn, err := r.connect(ctx, src)
	if err != nil {
		return rep, err
	}
	defer closeConn()

	root := src.Folder
	if root == "" {
		root = "."
	}
	cands, csvs, err := r.list(sc, root, src)
	if err != nil {
		return rep, err
	}
	rep.Seen = len(cands)
	meta, csvErrs := r.loadCSVs(sc, src, csvs)
	if r.Campaigns != nil {
		camp, err := r.Campaigns.CampaignGet(ctx, src.OrgID, src.CampaignID)
		if err != nil {
			return rep, fmt.Errorf("sftp pull: campaign of the source: %w", err)
		}
		meta.requireMeta = camp.RequireMetadata
	}
	rep.Errors = append(rep.Errors, csvErrs...)
	kept := cands[:0]
	for _, c := range cands {
		if _, bad := meta.bad[path.Dir(c.path)]; bad {
			rep.Skipped++
			continue
		}
		kept = append(kept, c)
	}
	cands = kept
	stable, skipped, err := r.stable(ctx, sc, src, cands)
	if err != nil {
		return rep, err
	}
	rep.Skipped += skipped

	var mu sync.Mutex
	conc := r.Concurrency
	if conc <= 0 {
		conc = 4
	}
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	for _, c := range stable {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			out, err := r.fetch(ctx, sc, src, c, meta)
			mu.Lock()
			defer mu.Unlock()
			if err != nil { // the import may have happened, its after-import action not
				rep.Errors = append(rep.Errors, c.path+": "+err.Error())
			}
			switch {
			case out == outSkipped && err == nil:
				rep.Skipped++
			case out == outImported:
				rep.Imported++
			case out == outDuplicate:
				rep.Duplicates++
			case out == outRejected:
				rep.Rejected++
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return rep, fmt.Errorf("sftp pull: %w", err)
	}
	return rep, nil
}

// list walks root for files matching the pattern, leaving out sidecars,
// batch CSVs (returned apart) and the move destination.
func (r *Runner) list(sc *sftp.Client, root string, src Source) ([]candidate, []string, error) {
	var out []candidate
	var csvs []string
	moveDir := ""
	if src.After.Kind == "move" {
		moveDir = path.Clean(src.After.Folder)
	}
	w := sc.Walk(root)
	for w.Step() {
		if err := w.Err(); err != nil {
			if w.Path() == root {
				return nil, nil, fmt.Errorf("sftp pull: list %s: %w", root, err)
			}
			continue
		}
		fi := w.Stat()
		p := w.Path()
		if fi.IsDir() {
			if p != root && (!src.Recursive || path.Clean(p) == moveDir) {
				w.SkipDir()
			}
			continue
		}
		if !fi.Mode().IsRegular() || isSidecar(p) {
			continue
		}
		if isCSV(p) {
			csvs = append(csvs, p)
			continue
		}
		if src.Pattern != "" {
			if ok, _ := path.Match(src.Pattern, path.Base(p)); !ok {
				continue
			}
		}
		out = append(out, candidate{path: p, size: fi.Size(), modTime: fi.ModTime()})
	}
	return out, csvs, nil
}

// stable keeps the candidates older than MinAge, not in the ledger, and
// whose size and modification time did not change over r.Settle.
func (r *Runner) stable(ctx context.Context, sc *sftp.Client, src Source, cands []candidate) ([]candidate, int, error) {
	now := r.now()
	var keep []candidate
	skipped := 0
	for _, c := range cands {
		if now.Sub(c.modTime) < src.MinAge {
			skipped++
			continue
		}
		e, seen, err := r.Ledger.LedgerGet(ctx, src.ID, c.path, c.size, c.modTime)
		if err != nil {
			return nil, 0, fmt.Errorf("sftp pull: ledger: %w", err)
		}
		if seen && (src.After.Kind == "keep" || e.CallID == "") {
			skipped++ // kept, or refused by the intake: left where it is
			continue
		}
		c.imported = seen // imported, but its delete or move failed: finish it

		keep = append(keep, c)
	}
	if len(keep) == 0 {
		return nil, skipped, nil
	}
	settle := r.Settle
	if settle <= 0 {
		settle = 2 * time.Second
	}
	t := time.NewTimer(settle)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return nil, 0, fmt.Errorf("sftp pull: %w", ctx.Err())
	case <-t.C:
	}
	out := keep[:0]
	for _, c := range keep {
		fi, err := sc.Stat(c.path)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, 0, fmt.Errorf("sftp pull: stat %s: %w", c.path, err)
		}
		if err != nil || fi.Size() != c.size || !fi.ModTime().Equal(c.modTime) {
			skipped++
			continue
		}
		out = append(out, c)
	}
	return out, skipped, nil
}

type outcome int

const (
	outSkipped outcome = iota
	outImported
	outDuplicate
	outRejected
)

// fetch imports one file with the envelope of its sidecar, else of its
// batch CSV row, and applies the after-import action.
func (r *Runner) fetch(ctx context.Context, sc *sftp.Client, src Source, c candidate, meta batch) (outcome, error) {
	env, sidecar, err := r.sidecar(sc, src, c.path)
	row, hasRow := meta.rows[c.path]
	if hasRow && err == nil && sidecar == "" {
		env = row
	}
	if meta.requireMeta && err == nil && sidecar == "" && !hasRow && !c.imported {
		wait := r.MetadataWait
		if wait <= 0 {
			wait = time.Hour
		}
		if r.now().Sub(c.modTime) < wait {
			return outSkipped, nil // its metadata may still come
		}
		r.log().Warn("sftp pull: no metadata arrived for a file of a campaign that requires it", "source", src.ID, "waited", wait.String())
		return outRejected, r.Ledger.LedgerAdd(ctx, LedgerEntry{SourceID: src.ID, Path: c.path, Size: c.size, ModTime: c.modTime})
	}
	if c.imported {
		if err := r.after(sc, src.After, c.path, sidecar); err != nil {
			return outSkipped, err
		}
		return outDuplicate, nil
	}
	var cerr *call.Error
	if errors.As(err, &cerr) {
		r.log().Warn("sftp pull: sidecar refused", "source", src.ID, "code", cerr.Code)
		return outRejected, r.Ledger.LedgerAdd(ctx, LedgerEntry{SourceID: src.ID, Path: c.path, Size: c.size, ModTime: c.modTime})
	}
	if err != nil {
		return outSkipped, err
	}
	f, err := sc.Open(c.path)
	if err != nil {
		return outSkipped, fmt.Errorf("open: %w", err)
	}
	defer func() { _ = f.Close() }()
	h := sha256.New()
	res, err := r.Ingest.Ingest(ctx, ingest.Request{OrgID: src.OrgID, Envelope: env, Source: call.SourceSFTPPull,
		FileName: path.Base(c.path), Body: io.TeeReader(f, h)})
	entry := LedgerEntry{SourceID: src.ID, Path: c.path, Size: c.size, ModTime: c.modTime}
	if errors.As(err, &cerr) && cerr.Code != call.CodeUnavailable && cerr.Code != call.CodeInternal && cerr.Code != call.CodeMalformed {
		r.log().Warn("sftp pull: file refused", "source", src.ID, "code", cerr.Code)
		return outRejected, r.Ledger.LedgerAdd(ctx, entry)
	}
	if err != nil {
		return outSkipped, fmt.Errorf("import: %w", err)
	}
	entry.SHA256 = hex.EncodeToString(h.Sum(nil))
	entry.CallID = res.Call.ID
	if err := r.Ledger.LedgerAdd(ctx, entry); err != nil {
		return outSkipped, fmt.Errorf("ledger: %w", err)
	}
	out := outImported
	if res.Duplicate {
		out = outDuplicate
	}
	if err := r.after(sc, src.After, c.path, sidecar); err != nil {
		return out, err
	}
	return out, nil
}

// after deletes or moves the file and its sidecar, or keeps them.
func (r *Runner) after(sc *sftp.Client, a Action, p, sidecar string) error {
	files := []string{p}
	if sidecar != "" {
		files = append(files, sidecar)
	}
	switch a.Kind {
	case "delete":
		for _, f := range files {
			if err := sc.Remove(f); err != nil {
				return fmt.Errorf("delete after import: %w", err)
			}
		}
	case "move":
		if err := sc.MkdirAll(a.Folder); err != nil {
			return fmt.Errorf("move after import: %w", err)
		}
		for _, f := range files {
			dst := path.Join(a.Folder, path.Base(f))
			if err := sc.PosixRename(f, dst); err != nil {
				if err2 := sc.Rename(f, dst); err2 != nil {
					return fmt.Errorf("move after import: %w", err2)
				}
			}
		}
	}
	return nil
}

// sidecar finds <name>.json or <stem>.json beside the file and parses it;
// without one the envelope holds only the campaign.
func (r *Runner) sidecar(sc *sftp.Client, src Source, p string) (call.Envelope, string, error) {
	stem := strings.TrimSuffix(p, path.Ext(p))
	for _, name := range []string{p + ".json", stem + ".json"} {
		f, err := sc.Open(name)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return call.Envelope{}, "", fmt.Errorf("open sidecar: %w", err)
		}
		b, err := io.ReadAll(io.LimitReader(f, maxSidecar+1))
		_ = f.Close()
		if err != nil {
			return call.Envelope{}, "", fmt.Errorf("read sidecar: %w", err)
		}
		if len(b) > maxSidecar {
			return call.Envelope{}, "", &call.Error{Code: call.CodeInvalid, Message: "the sidecar is too large"}
		}
		env, err := call.ParseSidecar(b, src.CampaignID, r.now())
		return env, name, err
	}
	env, err := call.ParseEnvelope(call.RawEnvelope{CampaignID: src.CampaignID}, r.now())
	return env, "", err
}
