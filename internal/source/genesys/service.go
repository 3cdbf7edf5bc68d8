package genesys

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/callimport/callimport/internal/store"
)

// ServiceConfig tunes a Service. The zero value means defaults.
type ServiceConfig struct {
	// HTTPClient is used for every connection; defaults to one with a 60 s timeout.
	HTTPClient *http.Client
	// Runner is the template of each run's configuration (OrgID is set per run).
	Runner RunnerConfig
	// Client is the template of each connection's client settings
	// (region, URLs and credentials come from the store).
	Client Config
	// Logger defaults to discarding.
	Logger *slog.Logger
}

// Service runs the channel for every organisation: connections and rules
// from the store, secrets sealed with a Sealer, imports through ingest.
type Service struct {
	st     store.Genesys
	sealer *Sealer
	in     Ingester
	cfg    ServiceConfig
	log    *slog.Logger
}

// NewService returns a Service.
func NewService(st store.Genesys, sealer *Sealer, in Ingester, cfg ServiceConfig) *Service {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 60 * time.Second}
	}
	return &Service{st: st, sealer: sealer, in: in, cfg: cfg, log: log}
}

// Connection is what an administrator enters for a connection.
type Connection struct {
	Region, APIBaseURL, LoginBaseURL, ClientID, ClientSecret string
}

// PutConnection checks and stores the organisation's connection, the
// secret sealed.
func (s *Service) PutConnection(ctx context.Context, orgID string, c Connection) error {
	if _, err := NewClient(s.clientConfig(c)); err != nil {
		return err
	}
	sealed, err := s.sealer.Seal(orgID, c.ClientSecret)
	if err != nil {
		return err
	}
	_, err = s.st.GenesysConnectionPut(ctx, store.GenesysConnectionPutParams{OrgID: orgID, Region: c.Region,
		APIBaseURL: c.APIBaseURL, LoginBaseURL: c.LoginBaseURL, ClientID: c.ClientID, SecretSealed: sealed})
	if err != nil {
		return fmt.Errorf("save genesys connection: %w", err)
	}
	return nil
}

func (s *Service) clientConfig(c Connection) Config {
	cfg := s.cfg.Client
	cfg.Region, cfg.APIBaseURL, cfg.LoginBaseURL = c.Region, c.APIBaseURL, c.LoginBaseURL
	cfg.ClientID, cfg.ClientSecret, cfg.HTTPClient = c.ClientID, c.ClientSecret, s.cfg.HTTPClient
	if cfg.Logger == nil {
		cfg.Logger = s.log
	}
	return cfg
}

// Client returns a client for the organisation's stored connection.
func (s *Service) Client(ctx context.Context, orgID string) (*Client, error) {
	conn, err := s.st.GenesysConnectionGet(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("genesys connection: %w", err)
	}
	secret, err := s.sealer.Open(orgID, conn.SecretSealed)
	if err != nil {
		return nil, err
	}
	return NewClient(s.clientConfig(Connection{Region: conn.Region, APIBaseURL: conn.APIBaseURL,
		LoginBaseURL: conn.LoginBaseURL, ClientID: conn.ClientID, ClientSecret: secret}))
}

// TestConnection obtains a token with the stored connection and reports
// the Genesys organisation it sees.
func (s *Service) TestConnection(ctx context.Context, orgID string) (Organisation, error) {
	c, err := s.Client(ctx, orgID)
	if err != nil {
		return Organisation{}, err
	}
	return c.TestConnection(ctx)
}

// RuleSettings is a campaign's rule with its schedule.
type RuleSettings struct {
	Rule     Rule          `json:"rule"`
	Interval time.Duration `json:"interval"`
	Enabled  bool          `json:"enabled"`
}

// PutRule stores the campaign's rule (its progress is kept).
func (s *Service) PutRule(ctx context.Context, orgID string, rs RuleSettings) error {
	b, err := json.Marshal(rs.Rule)
	if err != nil {
		return fmt.Errorf("encode rule: %w", err)
	}
	if rs.Interval <= 0 {
		rs.Interval = 15 * time.Minute
	}
	_, err = s.st.GenesysRulePut(ctx, store.GenesysRulePutParams{OrgID: orgID, CampaignID: rs.Rule.CampaignID,
		Rule: string(b), IntervalSeconds: int(rs.Interval / time.Second), Enabled: rs.Enabled})
	if err != nil {
		return fmt.Errorf("save genesys rule: %w", err)
	}
	return nil
}

func (s *Service) load(ctx context.Context, orgID, campaignID string) (*Runner, Rule, Progress, error) {
	sr, err := s.st.GenesysRuleGet(ctx, orgID, campaignID)
	if err != nil {
		return nil, Rule{}, Progress{}, fmt.Errorf("genesys rule: %w", err)
	}
	var rule Rule
	var prog Progress
	if err := json.Unmarshal([]byte(sr.Rule), &rule); err != nil {
		return nil, Rule{}, Progress{}, fmt.Errorf("decode genesys rule: %w", err)
	}
	if sr.Progress != "" {
		if err := json.Unmarshal([]byte(sr.Progress), &prog); err != nil {
			return nil, Rule{}, Progress{}, fmt.Errorf("decode genesys progress: %w", err)
		}
	}
	rule.CampaignID = campaignID
	c, err := s.Client(ctx, orgID)
	if err != nil {
		return nil, Rule{}, Progress{}, err
	}
	rc := s.cfg.Runner
	rc.OrgID = orgID
	rc.Logger = s.log.With("org_id", orgID, "campaign_id", campaignID)
	return NewRunner(c, s.in, rc), rule, prog, nil
}

// Preview runs the campaign rule's selection over (from, to].
func (s *Service) Preview(ctx context.Context, orgID, campaignID string, from, to time.Time) (Preview, error) {
	r, rule, _, err := s.load(ctx, orgID, campaignID)
	if err != nil {
		return Preview{}, err
	}
	return r.Preview(ctx, rule, from, to)
}

// runDoc is the run history's report document.
type runDoc struct {
	From       time.Time      `json:"from"`
	To         time.Time      `json:"to"`
	Candidates int            `json:"candidates"`
	Selected   int            `json:"selected"`
	Imported   int            `json:"imported"`
	Duplicates int            `json:"duplicates"`
	Skipped    map[string]int `json:"skipped_by_rule"`
	Parked     int            `json:"parked"`
	Failed     []Failure      `json:"failed"`
	Watermark  time.Time      `json:"watermark"`
}

// RunRule runs the campaign's rule once, then stores its progress and the
// run in the history. The progress is saved before the history, so a crash
// in between loses a history line, never calls.
func (s *Service) RunRule(ctx context.Context, orgID, campaignID string) (Report, error) {
	started := time.Now()
	r, rule, prog, err := s.load(ctx, orgID, campaignID)
	var rep Report
	if err == nil {
		rep, err = r.Run(ctx, rule, prog)
	}
	if err == nil {
		var b []byte
		if b, err = json.Marshal(rep.Progress); err == nil {
			err = s.st.GenesysProgressSet(context.WithoutCancel(ctx), orgID, campaignID, string(b))
		}
	}
	doc, _ := json.Marshal(runDoc{From: rep.From, To: rep.To, Candidates: rep.Candidates, Selected: rep.Selected,
		Imported: rep.Imported, Duplicates: rep.Duplicates, Skipped: rep.Skipped, Parked: rep.Parked,
		Failed: rep.Failed, Watermark: rep.Progress.Watermark})
	msg := ""
	if cause := errors.Join(err, rep.Interrupted); cause != nil {
		msg = cause.Error()
	}
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if _, herr := s.st.GenesysRunAdd(hctx, store.GenesysRunAddParams{OrgID: orgID, CampaignID: campaignID,
		StartedAt: started, FinishedAt: time.Now(), Report: string(doc), Error: msg}); herr != nil {
		s.log.ErrorContext(ctx, "genesys run history not saved", "error", herr.Error())
	}
	return rep, err
}
