// Package sftppull imports recordings from a customer's SFTP server (a pull
// source, PRODUCT.md §5b). Run connects with SSH, refuses any host key other
// than the configured SHA-256 fingerprint, lists the remote folder, takes the
// files that are old enough and stable, streams each into the one intake path
// (ingest) with the envelope of its sidecar JSON, and then deletes, moves or
// keeps the remote file. A ledger remembers what was fetched so that kept
// files are not imported again.
package sftppull

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/ingest"
)

// Action is what happens to a remote file after its import.
type Action struct {
	// Kind is "delete", "move" or "keep".
	Kind string
	// Folder is the destination of "move".
	Folder string
}

// ParseAction reads "delete", "keep" or "move:<folder>".
func ParseAction(s string) (Action, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "delete" || s == "keep":
		return Action{Kind: s}, nil
	case strings.HasPrefix(s, "move:") && strings.TrimSpace(s[len("move:"):]) != "":
		return Action{Kind: "move", Folder: strings.TrimSpace(s[len("move:"):])}, nil
	}
	return Action{}, fmt.Errorf("after-import action %q: want delete, keep or move:<folder>", s)
}

// String is the form ParseAction reads.
func (a Action) String() string {
	if a.Kind == "move" {
		return "move:" + a.Folder
	}
	return a.Kind
}

// Source is one pull source with its secrets in clear text (the caller
// unseals them).
type Source struct {
	ID         string
	OrgID      string
	CampaignID string
	Host       string
	Port       int
	Username   string
	// Password and/or PrivateKey (PEM or OpenSSH format) authenticate.
	Password   string
	PrivateKey string
	// HostKeyFingerprint is required, in the form "SHA256:<base64>" that
	// ssh-keygen -l prints.
	HostKeyFingerprint string
	// Folder is the remote folder to list; Pattern a path.Match pattern on
	// base names ("" means every file); Recursive descends into subfolders.
	Folder    string
	Pattern   string
	Recursive bool
	// MinAge skips files modified more recently than this.
	MinAge time.Duration
	After  Action
}

// LedgerEntry is one remote file the source has dealt with.
type LedgerEntry struct {
	SourceID string
	Path     string
	Size     int64
	ModTime  time.Time // second precision, as SFTP reports it
	SHA256   string
	CallID   string // empty when the file was refused
}

// Ledger remembers the remote files already fetched.
type Ledger interface {
	// LedgerGet returns the entry of the file with this path, size and
	// modification time; ok is false when it was never fetched.
	LedgerGet(ctx context.Context, sourceID, path string, size int64, modTime time.Time) (e LedgerEntry, ok bool, err error)
	// LedgerAdd records a fetched file; recording it twice is not an error.
	LedgerAdd(ctx context.Context, e LedgerEntry) error
}

// Ingester is the intake path (*ingest.Service).
type Ingester interface {
	Ingest(ctx context.Context, req ingest.Request) (ingest.Result, error)
}

// Report is the outcome of one run.
type Report struct {
	Seen       int      // candidate files listed (pattern matched, not sidecars)
	Imported   int      // new calls
	Duplicates int      // already known to the store
	Rejected   int      // refused by the intake (not audio, bad sidecar, ...)
	Skipped    int      // too young, still growing, or in the ledger
	Errors     []string // per-file failures; the files stay for the next run
}

// Campaigns reads a source's campaign (store.Store): whether it requires
// metadata.
type Campaigns interface {
	CampaignGet(ctx context.Context, orgID, id string) (call.Campaign, error)
}

// Runner runs pull sources. Ingest and Ledger are required.
type Runner struct {
	Ingest Ingester
	Ledger Ledger
	// Campaigns, when set, makes files of a campaign that requires metadata
	// wait for their sidecar or CSV row up to MetadataWait (default 1h)
	// after their modification; then they are refused.
	Campaigns    Campaigns
	MetadataWait time.Duration
	Log          *slog.Logger
	// Now defaults to time.Now.
	Now func() time.Time
	// Concurrency bounds the files fetched at once (default 4).
	Concurrency int
	// Settle is the wait between the two stats that prove a file is no
	// longer growing (default 2s).
	Settle time.Duration
	// DialTimeout bounds the connection and handshake (default 15s).
	DialTimeout time.Duration
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Runner) log() *slog.Logger {
	if r.Log != nil {
		return r.Log
	}
	return slog.New(slog.DiscardHandler)
}

// ErrHostKey means the server's host key is not the configured one; nothing
// was sent to it (no credentials, no request).
var ErrHostKey = errors.New("sftp pull: the server's host key does not match the configured fingerprint")

// connect opens an SSH connection and an SFTP session, checking the host key.
func (r *Runner) connect(ctx context.Context, src Source) (*sftp.Client, func(), error) {
	want := strings.TrimSpace(src.HostKeyFingerprint)
	if !strings.HasPrefix(want, "SHA256:") {
		return nil, nil, errors.New("sftp pull: a host-key fingerprint SHA256:... is required")
	}
	var auths []ssh.AuthMethod
	if src.PrivateKey != "" {
		signer, err := ssh.ParsePrivateKey([]byte(src.PrivateKey))
		if err != nil {
			return nil, nil, fmt.Errorf("sftp pull: private key: %w", err)
		}
		auths = append(auths, ssh.PublicKeys(signer))
	}
	if src.Password != "" {
		auths = append(auths, ssh.Password(src.Password))
	}
	if len(auths) == 0 {
		return nil, nil, errors.New("sftp pull: a password or a private key is required")
	}
	var got string
	cfg := &ssh.ClientConfig{
		User: src.Username,
		Auth: auths,
		HostKeyCallback: func(_ string, _ net.Addr, key ssh.PublicKey) error {
			got = ssh.FingerprintSHA256(key)
			if got != want {
				return ErrHostKey
			}
			return nil
		},
	}
	timeout := r.DialTimeout
	if timeout <= 0 {
		timeout = 15 * time.Second
	}
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	addr := net.JoinHostPort(src.Host, strconv.Itoa(src.Port))
	var d net.Dialer
	conn, err := d.DialContext(dctx, "tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("sftp pull: dial %s: %w", addr, err)
	}
	if dl, ok := dctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	c, chans, reqs, err := ssh.NewClientConn(conn, addr, cfg)
	if err != nil {
		_ = conn.Close()
		if errors.Is(err, ErrHostKey) {
			return nil, nil, fmt.Errorf("%w (server presented %s, expected %s)", ErrHostKey, got, want)
		}
		return nil, nil, fmt.Errorf("sftp pull: ssh handshake with %s: %w", addr, err)
	}
	_ = conn.SetDeadline(time.Time{})
	client := ssh.NewClient(c, chans, reqs)
	sc, err := sftp.NewClient(client)
	if err != nil {
		_ = client.Close()
		return nil, nil, fmt.Errorf("sftp pull: start sftp: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { _ = client.Close() })
	closeAll := func() {
		stop()
		_ = sc.Close()
		_ = client.Close()
	}
	return sc, closeAll, nil
}
