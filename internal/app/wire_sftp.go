package app

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/callimport/callimport/internal/auth"
	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/config"
	"github.com/callimport/callimport/internal/sftpd"
	"github.com/callimport/callimport/internal/store"
)

// wireSFTP builds the hosted SFTP server on s and listens on
// s.cfg.SFTPAddr. It returns run, which serves until ctx ends, or a nil run
// when the address is empty (SFTP off). The host key and staging folder
// default to the data dir.
func wireSFTP(ctx context.Context, s *Server, cfg config.SFTP, log *slog.Logger) (run func(ctx context.Context) error, addr net.Addr, err error) {
	if s.cfg.SFTPAddr == "" {
		return nil, nil, nil
	}
	st, ok := s.Store.(sftpd.Store)
	if !ok {
		return nil, nil, fmt.Errorf("sftp server: store %T has no sftp accounts", s.Store)
	}
	if cfg.HostKey == "" {
		cfg.HostKey = filepath.Join(s.cfg.DataDir, "sftp_host_ed25519")
	}
	if cfg.StagingDir == "" {
		cfg.StagingDir = filepath.Join(s.cfg.DataDir, "sftp-staging")
	}
	// Waiting and interrupted uploads keep staged bytes, which the orphan
	// cleaner removes after OrphanAge: they must be finished before.
	if s.cfg.OrphanAge > 0 && cfg.MetadataWait >= s.cfg.OrphanAge {
		return nil, nil, fmt.Errorf("sftp server: --sftp-metadata-wait (%s) must be shorter than --orphan-age (%s)", cfg.MetadataWait, s.cfg.OrphanAge)
	}
	partialTTL := time.Duration(0) // default 12h
	if s.cfg.OrphanAge > 0 && s.cfg.OrphanAge <= 12*time.Hour {
		partialTTL = s.cfg.OrphanAge / 2
	}
	srv, err := sftpd.New(sftpd.Config{
		Store: st, Ingest: s.Ingest, Blobs: s.Bucket, MetadataWait: cfg.MetadataWait, PartialTTL: partialTTL, HostKeyPath: cfg.HostKey, StagingDir: cfg.StagingDir,
		MaxFailures: cfg.MaxLoginFailures, FailureWindow: cfg.LoginFailureWindow, BanDuration: cfg.BanDuration,
		Logger: log.With("component", "sftpd"), Audit: s.auditRecorder(), Sessions: s.observeSFTPSession,
	})
	if err != nil {
		return nil, nil, err
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", s.cfg.SFTPAddr)
	if err != nil {
		return nil, nil, fmt.Errorf("listen sftp %s: %w", s.cfg.SFTPAddr, err)
	}
	return func(ctx context.Context) error { return srv.Serve(ctx, ln) }, ln.Addr(), nil
}

// sftpUserArgs are the flags of `admin sftp-user create`.
type sftpUserArgs struct {
	Username string
	// PasswordStdin reads the password from stdin; without it and without
	// AuthorizedKeyFile a password is generated and printed once.
	PasswordStdin bool
	// AuthorizedKeyFile is a file of OpenSSH authorized_keys lines.
	AuthorizedKeyFile string
	// Campaigns are campaign ids or names of the organisation; empty means all.
	Campaigns []string
}

type sftpUserOut struct {
	ID        string   `json:"id"`
	OrgID     string   `json:"org_id"`
	Name      string   `json:"name"`
	Campaigns []string `json:"campaign_ids"`
	Keys      int      `json:"authorized_keys"`
	Password  string   `json:"password,omitempty"`
}

// adminSFTPUserCreate creates an SFTP account of org for
// `callimport admin sftp-user create`.
func adminSFTPUserCreate(ctx context.Context, st store.Store, org call.Org, a sftpUserArgs, stdin io.Reader) (any, error) {
	accounts, ok := st.(store.SFTPAccounts)
	if !ok {
		return nil, fmt.Errorf("create sftp user: store %T has no sftp accounts", st)
	}
	a.Username = strings.ToLower(strings.TrimSpace(a.Username))
	if a.Username == "" || strings.ContainsAny(a.Username, " \t\r\n@:/") || len(a.Username) > 64 {
		return nil, fmt.Errorf("%w: --username is required: up to 64 characters, no spaces, @, : or /", ErrUsage)
	}
	var keys string
	nkeys := 0
	if a.AuthorizedKeyFile != "" {
		b, err := os.ReadFile(a.AuthorizedKeyFile)
		if err != nil {
			return nil, fmt.Errorf("%w: --authorized-key: %w", ErrUsage, err)
		}
		for rest := b; len(strings.TrimSpace(string(rest))) > 0; nkeys++ {
			_, _, _, next, err := ssh.ParseAuthorizedKey(rest)
			if err != nil {
				return nil, fmt.Errorf("%w: --authorized-key %s: %w", ErrUsage, a.AuthorizedKeyFile, err)
			}
			rest = next
		}
		keys = string(b)
	}
	password, generated := "", false
	switch {
	case a.PasswordStdin:
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && line == "" {
			return nil, fmt.Errorf("%w: no password on standard input", ErrUsage)
		}
		password = strings.TrimRight(line, "\r\n")
		if len(password) < 12 {
			return nil, fmt.Errorf("%w: the password must have at least 12 characters", ErrUsage)
		}
	case keys == "":
		password, generated = auth.NewPassword(), true
	}
	ids, err := resolveCampaigns(ctx, st, org.ID, a.Campaigns)
	if err != nil {
		return nil, err
	}
	p := store.SFTPAccountCreateParams{OrgID: org.ID, Username: a.Username, AuthorizedKeys: keys, CampaignIDs: ids}
	if password != "" {
		p.PasswordHash = auth.HashPassword(password)
	}
	acc, err := accounts.SFTPAccountCreate(ctx, p)
	if errors.Is(err, store.ErrAlreadyExists) {
		return nil, fmt.Errorf("%w: the sftp username %q is taken", ErrUsage, a.Username)
	}
	if err != nil {
		return nil, fmt.Errorf("create sftp user: %w", err)
	}
	out := sftpUserOut{ID: acc.ID, OrgID: org.ID, Name: acc.Username, Campaigns: acc.CampaignIDs, Keys: nkeys}
	if out.Campaigns == nil {
		out.Campaigns = []string{}
	}
	if generated {
		out.Password = password
	}
	return out, nil
}

// resolveCampaigns turns campaign ids or names of the organisation into ids.
func resolveCampaigns(ctx context.Context, st store.Store, orgID string, refs []string) ([]string, error) {
	if len(refs) == 0 {
		return nil, nil
	}
	cs, err := st.CampaignList(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("list campaigns: %w", err)
	}
	var ids []string
	for _, ref := range refs {
		i := slices.IndexFunc(cs, func(c call.Campaign) bool { return c.ID == ref || c.Name == ref })
		if i < 0 {
			return nil, fmt.Errorf("%w: the organisation has no campaign %q", ErrUsage, ref)
		}
		if !slices.Contains(ids, cs[i].ID) {
			ids = append(ids, cs[i].ID)
		}
	}
	return ids, nil
}
