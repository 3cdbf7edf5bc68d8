package sftppull

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/callimport/callimport/internal/sealing"
	"github.com/callimport/callimport/internal/store"
)

// StoreLedger is the store's ledger as a Ledger.
type StoreLedger struct{ Store store.SFTPPull }

// LedgerGet implements Ledger.
func (l StoreLedger) LedgerGet(ctx context.Context, sourceID, path string, size int64, modTime time.Time) (LedgerEntry, bool, error) {
	e, err := l.Store.PullLedgerGet(ctx, sourceID, path, size, modTime)
	if errors.Is(err, store.ErrNotFound) {
		return LedgerEntry{}, false, nil
	}
	if err != nil {
		return LedgerEntry{}, false, err //nolint:wrapcheck // the store wraps
	}
	return LedgerEntry{SourceID: e.SourceID, Path: e.Path, Size: e.Size, ModTime: e.ModTime, SHA256: e.SHA256, CallID: e.CallID}, true, nil
}

// LedgerAdd implements Ledger.
func (l StoreLedger) LedgerAdd(ctx context.Context, e LedgerEntry) error {
	return l.Store.PullLedgerAdd(ctx, store.PullLedgerEntry{SourceID: e.SourceID, Path: e.Path, Size: e.Size, //nolint:wrapcheck // the store wraps
		ModTime: e.ModTime, SHA256: e.SHA256, CallID: e.CallID})
}

// ErrSecretKey means a stored source has secrets but no key was configured.
var ErrSecretKey = errors.New("sftp pull: secret key required to read the stored credentials")

// SealSecrets seals a password and a private key for orgID (each "" stays "").
// The sealer is the shared connector keyring (internal/sealing).
func SealSecrets(sealer *sealing.Keyring, orgID, password, privateKey string) (passwordSealed, keySealed string, err error) {
	seal := func(v string) (string, error) {
		if v == "" {
			return "", nil
		}
		if sealer == nil {
			return "", ErrSecretKey
		}
		return sealer.Seal(orgID, v) //nolint:wrapcheck // already says what failed
	}
	if passwordSealed, err = seal(password); err != nil {
		return "", "", err
	}
	if keySealed, err = seal(privateKey); err != nil {
		return "", "", err
	}
	return passwordSealed, keySealed, nil
}

// FromStore turns a stored source into a Source, unsealing its secrets.
func FromStore(p store.PullSource, sealer *sealing.Keyring) (Source, error) {
	after, err := ParseAction(p.AfterAction)
	if err != nil {
		return Source{}, err
	}
	src := Source{ID: p.ID, OrgID: p.OrgID, CampaignID: p.CampaignID, Host: p.Host, Port: p.Port, Username: p.Username,
		HostKeyFingerprint: p.HostKeyFingerprint, Folder: p.Folder, Pattern: p.Pattern, Recursive: p.Recursive,
		MinAge: time.Duration(p.MinAgeSeconds) * time.Second, After: after}
	open := func(v string) (string, error) {
		if v == "" {
			return "", nil
		}
		if sealer == nil {
			return "", ErrSecretKey
		}
		s, err := sealer.Open(p.OrgID, v)
		if err != nil {
			return "", fmt.Errorf("sftp pull: credentials of source %s: %w", p.ID, err)
		}
		return s, nil
	}
	if src.Password, err = open(p.PasswordSealed); err != nil {
		return Source{}, err
	}
	if src.PrivateKey, err = open(p.PrivateKeySealed); err != nil {
		return Source{}, err
	}
	return src, nil
}

// RunStored runs a stored source and records the run (counts and errors)
// in its history.
func (r *Runner) RunStored(ctx context.Context, st store.SFTPPull, sealer *sealing.Keyring, p store.PullSource) (Report, error) {
	started := r.now()
	var rep Report
	src, err := FromStore(p, sealer)
	if err == nil {
		rep, err = r.Run(ctx, src)
	}
	errs := rep.Errors
	if err != nil {
		errs = append([]string{"run failed: " + err.Error()}, errs...)
	}
	if _, rerr := st.PullRunAdd(context.WithoutCancel(ctx), store.PullRun{SourceID: p.ID, StartedAt: started, FinishedAt: r.now(),
		Seen: rep.Seen, Imported: rep.Imported, Duplicates: rep.Duplicates, Rejected: rep.Rejected,
		Errors: strings.Join(errs, "\n")}); rerr != nil {
		err = errors.Join(err, fmt.Errorf("sftp pull: record run: %w", rerr))
	}
	return rep, err
}

// maxBackoff caps the wait after failed runs.
const maxBackoff = time.Hour

// Due reports whether a source should run now, from its last runs (newest
// first): see NextRun.
func Due(p store.PullSource, runs []store.PullRun, now time.Time) bool {
	return !now.Before(NextRun(p, runs))
}

// NextRun is when a source should run next, from its last runs (newest
// first): at once (the zero time) without history, its interval after the
// last run, and the interval doubled per consecutive failed run (up to an
// hour).
func NextRun(p store.PullSource, runs []store.PullRun) time.Time {
	if len(runs) == 0 {
		return time.Time{}
	}
	wait := time.Duration(max(p.IntervalSeconds, 1)) * time.Second
	for _, r := range runs {
		if !strings.HasPrefix(r.Errors, "run failed: ") {
			break
		}
		wait *= 2
		if wait >= maxBackoff {
			wait = maxBackoff
			break
		}
	}
	return runs[0].FinishedAt.Add(wait)
}
