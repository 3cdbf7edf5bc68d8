package connectors

import (
	"context"
	"path"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/source/sftppull"
	"github.com/callimport/callimport/internal/store"
)

// PullSource is a pull source as shown to administrators: its password
// and private key are write-only (HasPassword, HasPrivateKey say whether
// one is stored).
type PullSource struct {
	ID                 string    `json:"id"`
	CampaignID         string    `json:"campaign_id"`
	Host               string    `json:"host"`
	Port               int       `json:"port"`
	Username           string    `json:"username"`
	HasPassword        bool      `json:"has_password"`
	HasPrivateKey      bool      `json:"has_private_key"`
	HostKeyFingerprint string    `json:"host_key_fingerprint"`
	Folder             string    `json:"folder"`
	Pattern            string    `json:"pattern"`
	Recursive          bool      `json:"recursive"`
	IntervalSeconds    int       `json:"interval_seconds"`
	MinAgeSeconds      int       `json:"min_age_seconds"`
	AfterAction        string    `json:"after_action"`
	Enabled            bool      `json:"enabled"`
	CreatedAt          time.Time `json:"created_at"`
	UpdatedAt          time.Time `json:"updated_at"`
	Health
}

// PullSourceInput creates or changes a pull source; nil fields are
// unchanged (on create: defaults). Password and PrivateKey "" remove them.
type PullSourceInput struct {
	Host               *string `json:"host"`
	Port               *int    `json:"port"`
	Username           *string `json:"username"`
	Password           *string `json:"password"`
	PrivateKey         *string `json:"private_key"`
	HostKeyFingerprint *string `json:"host_key_fingerprint"`
	Folder             *string `json:"folder"`
	Pattern            *string `json:"pattern"`
	Recursive          *bool   `json:"recursive"`
	IntervalSeconds    *int    `json:"interval_seconds"`
	MinAgeSeconds      *int    `json:"min_age_seconds"`
	AfterAction        *string `json:"after_action"`
	Enabled            *bool   `json:"enabled"`
}

// PullRun is one run in a source's history.
type PullRun struct {
	ID         string    `json:"id"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	Seen       int       `json:"seen"`
	Imported   int       `json:"imported"`
	Duplicates int       `json:"duplicates"`
	Rejected   int       `json:"rejected"`
	// Errors are the run's failures, one an item.
	Errors []string `json:"errors"`
}

func (m *Manager) toPullSource(p store.PullSource, sc store.Schedule) PullSource {
	return PullSource{ID: p.ID, CampaignID: p.CampaignID, Host: p.Host, Port: p.Port, Username: p.Username,
		HasPassword: p.PasswordSealed != "", HasPrivateKey: p.PrivateKeySealed != "", HostKeyFingerprint: p.HostKeyFingerprint,
		Folder: p.Folder, Pattern: p.Pattern, Recursive: p.Recursive, IntervalSeconds: p.IntervalSeconds,
		MinAgeSeconds: p.MinAgeSeconds, AfterAction: p.AfterAction, Enabled: p.Enabled, CreatedAt: p.CreatedAt.UTC(),
		UpdatedAt: p.UpdatedAt.UTC(), Health: m.health(sc, p.Enabled, p.CreatedAt)}
}

// apply merges in onto p (sealing new secrets) and validates the result.
func (m *Manager) apply(p *store.PullSourcePutParams, in PullSourceInput) error {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = strings.TrimSpace(*v)
		}
	}
	set(&p.Host, in.Host)
	set(&p.Username, in.Username)
	set(&p.HostKeyFingerprint, in.HostKeyFingerprint)
	set(&p.Folder, in.Folder)
	set(&p.Pattern, in.Pattern)
	set(&p.AfterAction, in.AfterAction)
	if in.Port != nil {
		p.Port = *in.Port
	}
	if in.Recursive != nil {
		p.Recursive = *in.Recursive
	}
	if in.IntervalSeconds != nil {
		p.IntervalSeconds = *in.IntervalSeconds
	}
	if in.MinAgeSeconds != nil {
		p.MinAgeSeconds = *in.MinAgeSeconds
	}
	if in.Enabled != nil {
		p.Enabled = *in.Enabled
	}
	var fields []call.FieldError
	if p.Host == "" || strings.ContainsAny(p.Host, " /@") {
		fields = append(fields, field("host", "is required: a host name or address"))
	}
	if p.Port < 1 || p.Port > 65535 {
		fields = append(fields, field("port", "must be from 1 to 65535"))
	}
	if p.Username == "" {
		fields = append(fields, field("username", "is required"))
	}
	if !strings.HasPrefix(p.HostKeyFingerprint, "SHA256:") || len(p.HostKeyFingerprint) < 20 {
		fields = append(fields, field("host_key_fingerprint", "is required: SHA256:... as ssh-keygen -lf prints it"))
	}
	if p.Pattern != "" {
		if _, err := path.Match(p.Pattern, "x"); err != nil {
			fields = append(fields, field("pattern", "is not a valid pattern (*.wav, call-??.mp3, ...)"))
		}
	}
	if p.IntervalSeconds < 60 || p.IntervalSeconds > 7*24*3600 {
		fields = append(fields, field("interval_seconds", "must be from 60 to 604800"))
	}
	if p.MinAgeSeconds < 0 || p.MinAgeSeconds > 7*24*3600 {
		fields = append(fields, field("min_age_seconds", "must be from 0 to 604800"))
	}
	if a, err := sftppull.ParseAction(p.AfterAction); err != nil {
		fields = append(fields, field("after_action", "must be delete, keep or move:<folder>"))
	} else {
		p.AfterAction = a.String()
	}
	if in.PrivateKey != nil && *in.PrivateKey != "" {
		if _, err := ssh.ParsePrivateKey([]byte(*in.PrivateKey)); err != nil {
			fields = append(fields, field("private_key", "is not an unencrypted private key in PEM or OpenSSH format"))
		}
	}
	hasPw := p.PasswordSealed != ""
	if in.Password != nil {
		hasPw = *in.Password != ""
	}
	hasKey := p.PrivateKeySealed != ""
	if in.PrivateKey != nil {
		hasKey = *in.PrivateKey != ""
	}
	if !hasPw && !hasKey {
		fields = append(fields, field("password", "a password or a private_key is required"))
	}
	if len(fields) > 0 {
		return invalid("invalid pull source", fields...)
	}
	seal := func(dst *string, v *string) error {
		if v == nil {
			return nil
		}
		if *v == "" {
			*dst = ""
			return nil
		}
		s, err := m.kr.Seal(p.OrgID, *v)
		*dst = s
		return err //nolint:wrapcheck // says what failed
	}
	if err := seal(&p.PasswordSealed, in.Password); err != nil {
		return err
	}
	return seal(&p.PrivateKeySealed, in.PrivateKey)
}

// CreatePullSource creates a pull source of the organisation's campaign.
func (m *Manager) CreatePullSource(ctx context.Context, orgID, campaignID string, in PullSourceInput) (PullSource, error) {
	if err := m.campaign(ctx, orgID, campaignID); err != nil {
		return PullSource{}, err
	}
	p := store.PullSourcePutParams{OrgID: orgID, CampaignID: campaignID, Port: 22, Folder: ".", IntervalSeconds: 300,
		MinAgeSeconds: 60, AfterAction: "keep", Enabled: true}
	if err := m.apply(&p, in); err != nil {
		return PullSource{}, err
	}
	s, err := m.st.PullSourcePut(ctx, p)
	if err != nil {
		return PullSource{}, notFound("campaign", err)
	}
	return m.toPullSource(s, store.Schedule{}), nil
}

// ListPullSources returns the organisation's sources (only campaignID's
// when not "").
func (m *Manager) ListPullSources(ctx context.Context, orgID, campaignID string) ([]PullSource, error) {
	if campaignID != "" {
		if err := m.campaign(ctx, orgID, campaignID); err != nil {
			return nil, err
		}
	}
	srcs, err := m.st.PullSourceListByOrg(ctx, orgID, campaignID)
	if err != nil {
		return nil, unavailable(err)
	}
	scs, err := m.schedules(ctx, orgID, store.ScheduleSFTPPull)
	if err != nil {
		return nil, err
	}
	out := make([]PullSource, 0, len(srcs))
	for _, s := range srcs {
		out = append(out, m.toPullSource(s, scs[s.ID]))
	}
	return out, nil
}

// GetPullSource returns one source with its health.
func (m *Manager) GetPullSource(ctx context.Context, orgID, id string) (PullSource, error) {
	s, err := m.st.PullSourceGet(ctx, orgID, id)
	if err != nil {
		return PullSource{}, notFound("pull source", err)
	}
	sc, err := m.schedule(ctx, orgID, store.ScheduleSFTPPull, id)
	if err != nil {
		return PullSource{}, err
	}
	return m.toPullSource(s, sc), nil
}

// UpdatePullSource changes the non-nil fields.
func (m *Manager) UpdatePullSource(ctx context.Context, orgID, id string, in PullSourceInput) (PullSource, error) {
	cur, err := m.st.PullSourceGet(ctx, orgID, id)
	if err != nil {
		return PullSource{}, notFound("pull source", err)
	}
	p := store.PullSourcePutParams{ID: cur.ID, OrgID: orgID, CampaignID: cur.CampaignID, Host: cur.Host, Port: cur.Port,
		Username: cur.Username, PasswordSealed: cur.PasswordSealed, PrivateKeySealed: cur.PrivateKeySealed,
		HostKeyFingerprint: cur.HostKeyFingerprint, Folder: cur.Folder, Pattern: cur.Pattern, Recursive: cur.Recursive,
		IntervalSeconds: cur.IntervalSeconds, MinAgeSeconds: cur.MinAgeSeconds, AfterAction: cur.AfterAction, Enabled: cur.Enabled}
	if err := m.apply(&p, in); err != nil {
		return PullSource{}, err
	}
	s, err := m.st.PullSourcePut(ctx, p)
	if err != nil {
		return PullSource{}, notFound("pull source", err)
	}
	sc, err := m.schedule(ctx, orgID, store.ScheduleSFTPPull, id)
	if err != nil {
		return PullSource{}, err
	}
	return m.toPullSource(s, sc), nil
}

// DeletePullSource removes a source with its ledger, runs and schedule.
func (m *Manager) DeletePullSource(ctx context.Context, orgID, id string) error {
	if _, err := m.st.PullSourceGet(ctx, orgID, id); err != nil {
		return notFound("pull source", err)
	}
	if err := m.st.PullSourceDelete(ctx, orgID, id); err != nil {
		return unavailable(err)
	}
	if err := m.st.ScheduleDelete(ctx, store.ScheduleSFTPPull, id); err != nil {
		return unavailable(err)
	}
	return nil
}

// RunPullSourceNow makes the source due at once and wakes the runner of
// this process; the run itself happens in the background (at most one at
// a time across processes).
func (m *Manager) RunPullSourceNow(ctx context.Context, orgID, id string) error {
	s, err := m.st.PullSourceGet(ctx, orgID, id)
	if err != nil {
		return notFound("pull source", err)
	}
	if !s.Enabled {
		return &call.Error{Code: call.CodeConflict, Message: "the pull source is disabled; enable it first"}
	}
	if m.pull == nil {
		return &call.Error{Code: call.CodeUnavailable, Message: "SFTP pull runs are off on this server (--sftp-pull-tick 0)"}
	}
	if err := m.st.ScheduleRunNow(ctx, store.ScheduleSFTPPull, id, orgID, m.now()); err != nil {
		return unavailable(err)
	}
	select {
	case m.kick <- struct{}{}:
	default:
	}
	return nil
}

// PullRuns returns the source's last runs, newest first.
func (m *Manager) PullRuns(ctx context.Context, orgID, id string, limit int) ([]PullRun, error) {
	if _, err := m.st.PullSourceGet(ctx, orgID, id); err != nil {
		return nil, notFound("pull source", err)
	}
	runs, err := m.st.PullRunList(ctx, id, limit)
	if err != nil {
		return nil, unavailable(err)
	}
	out := make([]PullRun, 0, len(runs))
	for _, r := range runs {
		pr := PullRun{ID: r.ID, StartedAt: r.StartedAt.UTC(), FinishedAt: r.FinishedAt.UTC(), Seen: r.Seen,
			Imported: r.Imported, Duplicates: r.Duplicates, Rejected: r.Rejected, Errors: []string{}}
		for _, l := range strings.Split(r.Errors, "\n") {
			if l != "" {
				pr.Errors = append(pr.Errors, l)
			}
		}
		out = append(out, pr)
	}
	return out, nil
}
