// Package connectors manages the import channels' configuration for an
// organisation: the hosted SFTP server's accounts, SFTP pull sources and the
// Genesys Cloud connection and export rules. It validates input, seals
// secrets (write-only: never returned), reports feed health (last import,
// quiet), and runs due pull sources and export rules under leases
// (Scheduler). The REST API and the command line are thin layers over it.
//
// Every method takes the caller's organisation and answers
// call.CodeNotFound for another organisation's items, exactly as if they
// did not exist. Errors are *call.Error values (or wrap one) for the API.
package connectors

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/callimport/callimport/internal/audit"
	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/sealing"
	"github.com/callimport/callimport/internal/source/genesys"
	"github.com/callimport/callimport/internal/source/sftppull"
	"github.com/callimport/callimport/internal/store"
)

// Store is what the manager needs of the metadata store.
type Store interface {
	store.Store
	store.Connectors
	store.SFTPAccounts
	store.SFTPPull
	store.Genesys
}

// Config builds a Manager. Store and Keyring are required.
type Config struct {
	Store   Store
	Keyring *sealing.Keyring
	// Genesys is the channel's service (built on Store and Keyring); nil
	// makes its test, preview and runs answer unavailable.
	Genesys *genesys.Service
	// Pull runs pull sources; nil makes runs answer unavailable.
	Pull *sftppull.Runner
	// QuietAfter marks a feed quiet when nothing arrived for longer;
	// defaults to 24 hours.
	QuietAfter time.Duration
	// Lease is the scheduler's lease (see Scheduler); defaults to 2 minutes.
	Lease  time.Duration
	Logger *slog.Logger
	// Now defaults to time.Now.
	Now func() time.Time
	// Audit receives a system event per scheduled run (pull.run,
	// genesys.run: ids and counts only); nil discards them.
	Audit audit.Recorder
	// ObserveRun, when set, is told of every scheduled run: its connector
	// (store.ScheduleSFTPPull or store.ScheduleGenesys) and whether it
	// succeeded (see recordRun), for the metrics.
	ObserveRun func(connector string, ok bool)
}

// Manager is the connectors' management service.
type Manager struct {
	st    Store
	kr    *sealing.Keyring
	gen   *genesys.Service
	pull  *sftppull.Runner
	quiet time.Duration
	log   *slog.Logger
	now   func() time.Time
	sched *Scheduler
	kick  chan struct{}
	// gkick wakes the Genesys loop (RunGenesysRuleNow).
	gkick chan struct{}
	audit audit.Recorder
	// observe is Config.ObserveRun.
	observe func(connector string, ok bool)
}

// New returns a Manager.
func New(cfg Config) *Manager {
	m := &Manager{st: cfg.Store, kr: cfg.Keyring, gen: cfg.Genesys, pull: cfg.Pull, quiet: cfg.QuietAfter,
		log: cfg.Logger, now: cfg.Now, kick: make(chan struct{}, 1),
		gkick: make(chan struct{}, 1),
		audit: cfg.Audit, observe: cfg.ObserveRun}
	if m.audit == nil {
		m.audit = audit.Discard{}
	}
	if m.quiet <= 0 {
		m.quiet = 24 * time.Hour
	}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	if m.now == nil {
		m.now = time.Now
	}
	m.sched = &Scheduler{Store: cfg.Store, Owner: processOwner(), Lease: cfg.Lease, Log: m.log, Now: m.now}
	return m
}

// processOwner names this process in leases: host, pid and a random part.
func processOwner() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b))
}

// Health is a feed's health.
type Health struct {
	// LastImportAt is the end of the last run that imported a call (nil:
	// never).
	LastImportAt *time.Time `json:"last_import_at"`
	// LastRunAt is the end of the last run (nil: never).
	LastRunAt *time.Time `json:"last_run_at"`
	// NextRunAt is when the next run is due (nil: not scheduled yet).
	NextRunAt *time.Time `json:"next_run_at"`
	// Quiet is true when the feed is enabled and nothing arrived for longer
	// than the configured period (counted from its creation before the
	// first import).
	Quiet bool `json:"quiet"`
}

// health computes a feed's health from its schedule (zero when none).
func (m *Manager) health(sc store.Schedule, enabled bool, created time.Time) Health {
	h := Health{LastImportAt: sc.LastImportAt, LastRunAt: sc.LastRunAt}
	if !sc.NextRunAt.IsZero() {
		n := sc.NextRunAt
		h.NextRunAt = &n
	}
	since := created
	if sc.LastImportAt != nil {
		since = *sc.LastImportAt
	}
	h.Quiet = enabled && m.now().Sub(since) > m.quiet
	return h
}

// schedules returns the organisation's schedules of kind by key.
func (m *Manager) schedules(ctx context.Context, orgID, kind string) (map[string]store.Schedule, error) {
	list, err := m.st.ScheduleList(ctx, orgID, kind)
	if err != nil {
		return nil, unavailable(err)
	}
	out := make(map[string]store.Schedule, len(list))
	for _, s := range list {
		out[s.Key] = s
	}
	return out, nil
}

// schedule returns one item's schedule (zero when it has none yet).
func (m *Manager) schedule(ctx context.Context, orgID, kind, key string) (store.Schedule, error) {
	s, err := m.st.ScheduleGet(ctx, orgID, kind, key)
	if errors.Is(err, store.ErrNotFound) {
		return store.Schedule{}, nil
	}
	if err != nil {
		return store.Schedule{}, unavailable(err)
	}
	return s, nil
}

// unavailable maps a store error: ErrNotFound stays a not-found, anything
// else is an internal error.
func unavailable(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return &call.Error{Code: call.CodeNotFound, Message: "not found", Err: err}
	}
	return fmt.Errorf("connectors: %w", err)
}

func notFound(what string, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return &call.Error{Code: call.CodeNotFound, Message: "no such " + what, Err: err}
	}
	return fmt.Errorf("connectors: %s: %w", what, err)
}

func invalid(msg string, fields ...call.FieldError) error {
	return &call.Error{Code: call.CodeInvalid, Message: msg, Fields: fields}
}

func field(name, reason string) call.FieldError { return call.FieldError{Field: name, Reason: reason} }

// campaign checks that the organisation has the campaign.
func (m *Manager) campaign(ctx context.Context, orgID, id string) error {
	if strings.TrimSpace(id) == "" {
		return &call.Error{Code: call.CodeNotFound, Message: "no such campaign"}
	}
	if _, err := m.st.CampaignGet(ctx, orgID, id); err != nil {
		return notFound("campaign", err)
	}
	return nil
}

// RunPullLoop runs due pull sources every tick (and at once when RunNow
// asks) until ctx ends.
func (m *Manager) RunPullLoop(ctx context.Context, tick time.Duration) error {
	return m.loop(ctx, tick, m.kick, m.RunPullDue, "sftp pull")
}

// RunGenesysLoop runs due export rules every tick until ctx ends.
func (m *Manager) RunGenesysLoop(ctx context.Context, tick time.Duration) error {
	return m.loop(ctx, tick, m.gkick, m.RunGenesysDue, "genesys")
}

func (m *Manager) loop(ctx context.Context, tick time.Duration, kick chan struct{}, due func(context.Context) error, what string) error {
	if tick <= 0 {
		tick = time.Minute
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		if err := due(ctx); err != nil && ctx.Err() == nil {
			m.log.WarnContext(ctx, what+" runs had errors", "error", err.Error())
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-kick:
		}
	}
}

// RunPullDue runs every enabled pull source that is due and not running
// in another process.
func (m *Manager) RunPullDue(ctx context.Context) error {
	if m.pull == nil {
		return nil
	}
	srcs, err := m.st.PullSourceList(ctx)
	if err != nil {
		return fmt.Errorf("sftp pull: %w", err)
	}
	items := make([]Item, len(srcs))
	byID := make(map[string]store.PullSource, len(srcs))
	for i, p := range srcs {
		items[i] = Item{Key: p.ID, OrgID: p.OrgID}
		byID[p.ID] = p
	}
	return m.sched.RunDue(ctx, store.ScheduleSFTPPull, items, func(ctx context.Context, it Item) (Outcome, error) {
		p := byID[it.Key]
		rep, err := m.pull.RunStored(ctx, m.st, m.kr, p)
		m.recordPullRun(ctx, p, rep, err)
		m.log.InfoContext(ctx, "sftp pull run", "source", p.ID, "seen", rep.Seen, "imported", rep.Imported,
			"duplicates", rep.Duplicates, "rejected", rep.Rejected, "errors", len(rep.Errors))
		out := Outcome{Imported: rep.Imported, Next: m.now().Add(time.Duration(max(p.IntervalSeconds, 1)) * time.Second)}
		if runs, lerr := m.st.PullRunList(context.WithoutCancel(ctx), p.ID, 6); lerr == nil {
			out.Next = sftppull.NextRun(p, runs)
		}
		return out, err
	})
}

// RunGenesysDue runs every enabled export rule that is due and not running
// in another process.
func (m *Manager) RunGenesysDue(ctx context.Context) error {
	if m.gen == nil {
		return nil
	}
	rules, err := m.st.GenesysRuleList(ctx)
	if err != nil {
		return fmt.Errorf("genesys due rules: %w", err)
	}
	items := make([]Item, len(rules))
	interval := make(map[string]time.Duration, len(rules))
	for i, r := range rules {
		items[i] = Item{Key: r.CampaignID, OrgID: r.OrgID}
		interval[r.CampaignID] = time.Duration(max(r.IntervalSeconds, 1)) * time.Second
	}
	return m.sched.RunDue(ctx, store.ScheduleGenesys, items, func(ctx context.Context, it Item) (Outcome, error) {
		started := m.now()
		rep, err := m.gen.RunRule(ctx, it.OrgID, it.Key)
		m.recordGenesysRun(ctx, it.OrgID, it.Key, rep, err)
		if err != nil {
			m.log.WarnContext(ctx, "genesys run failed", "org_id", it.OrgID, "campaign_id", it.Key, "error", err.Error())
		}
		return Outcome{Imported: rep.Imported, Next: started.Add(interval[it.Key])}, err
	})
}

func itoa(i int) string { return fmt.Sprint(i) }

func quote(s string) string { return fmt.Sprintf("%q", s) }

// Campaign answers a not-found error unless the organisation has the
// campaign (for callers that must check it before reading a body).
func (m *Manager) Campaign(ctx context.Context, orgID, id string) error {
	return m.campaign(ctx, orgID, id)
}

// Genesys returns the Genesys channel's service (nil when off).
func (m *Manager) Genesys() *genesys.Service { return m.gen }

// Pull returns the pull sources' runner (nil when pulls are off).
func (m *Manager) Pull() *sftppull.Runner { return m.pull }

// Keyring returns the keyring sealing connector secrets.
func (m *Manager) Keyring() *sealing.Keyring { return m.kr }
