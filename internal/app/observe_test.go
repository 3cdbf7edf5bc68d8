package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/callimport/callimport/internal/audit"
	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/config"
	"github.com/callimport/callimport/internal/connectors"
	"github.com/callimport/callimport/internal/ingest"
	"github.com/callimport/callimport/internal/privacy"
	"github.com/callimport/callimport/internal/source/genesys/genesystest"
	"github.com/callimport/callimport/internal/store"
	"github.com/callimport/callimport/internal/store/storepg"
	"github.com/callimport/callimport/internal/testenv"
)

// lockedBuffer is a log sink safe for the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p) //nolint:wrapcheck // bytes.Buffer
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// runningServer is a serve process in the test: HTTP at url, its logs.
type runningServer struct {
	*Server
	url  string
	logs *lockedBuffer
}

// runServer builds a server (PostgreSQL when pg) changed by mod and runs
// it until the test ends.
func runServer(t *testing.T, pg bool, mod func(*config.Serve)) *runningServer {
	t.Helper()
	cfg := config.Serve{Storage: config.Storage{DataDir: t.TempDir()}, ShutdownTimeout: 5 * time.Second, Workers: 2,
		MaxUploadSize: 1 << 30, TokenTTL: time.Minute, OrphanAge: 24 * time.Hour}
	if pg {
		cfg.Database = storepg.TestURL(t)
	}
	if mod != nil {
		mod(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	ctx, cancel := context.WithCancel(context.WithoutCancel(t.Context()))
	srv, err := NewServer(ctx, cfg, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("run: %v", err)
		}
		if err := srv.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return &runningServer{Server: srv, url: "http://" + ln.Addr().String(), logs: logs}
}

// chain returns orgID's audit records once the trail has written them.
func (s *runningServer) chain(t *testing.T, orgID string) []store.AuditRecord {
	t.Helper()
	if err := s.Audit.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	var recs []store.AuditRecord
	if err := s.Store.(store.Audit).AuditChain(t.Context(), orgID, func(r store.AuditRecord) error {
		recs = append(recs, r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if v, err := audit.Verify(t.Context(), s.Store.(store.Audit), orgID); err != nil || !v.OK() {
		t.Fatalf("Verify = %+v, %v", v, err)
	}
	return recs
}

// mustNotHold fails when a record of recs holds one of the texts.
func mustNotHold(t *testing.T, recs []store.AuditRecord, texts ...string) {
	t.Helper()
	for _, r := range recs {
		b, _ := json.Marshal(r)
		for _, s := range texts {
			if strings.Contains(strings.ToLower(string(b)), strings.ToLower(s)) {
				t.Errorf("audit record %s holds %q", b, s)
			}
		}
	}
}

func newOrg(t *testing.T, st store.Store) (call.Org, call.Campaign) {
	t.Helper()
	org, err := st.OrgCreate(t.Context(), store.OrgCreateParams{Name: "o"})
	if err != nil {
		t.Fatal(err)
	}
	camp, err := st.CampaignCreate(t.Context(), store.CampaignCreateParams{OrgID: org.ID, Name: "c"})
	if err != nil {
		t.Fatal(err)
	}
	return org, camp
}

// TestPrivacyEventsInTrail: the erasures that serve runs leave
// erasure.request (by the requester) and erasure.done (by the system,
// with the erased call ids) in the organisation's chain, and no record
// holds the e-mail address or the metadata value erased.
func TestPrivacyEventsInTrail(t *testing.T) {
	t.Parallel()
	const email, phone = "Alice.Trail@example.com", "+33655501234"
	for _, pg := range []bool{false, true} {
		t.Run(map[bool]string{false: "sqlite", true: "postgres"}[pg], func(t *testing.T) {
			t.Parallel()
			s := runServer(t, pg, nil)
			ctx := t.Context()
			org, camp := newOrg(t, s.Store)
			up := func(env call.Envelope, fixture string) string {
				env.CampaignID = camp.ID
				f, err := os.Open(filepath.Join("..", "audio", "testdata", "wav", fixture))
				if err != nil {
					t.Fatal(err)
				}
				defer func() { _ = f.Close() }()
				res, err := s.Ingest.Ingest(ctx, ingest.Request{OrgID: org.ID, Envelope: env, Source: call.SourceAPI,
					FileName: "x.wav", Body: f})
				if err != nil {
					t.Fatal(err)
				}
				return res.Call.ID
			}
			byEmail := up(call.Envelope{AgentEmail: email}, "pcm_s16le_8k_mono.wav")
			byValue := up(call.Envelope{Metadata: []call.MetaPair{{Key: "phone", Value: phone}}}, "pcm_alaw_8k_mono.wav")
			actor := audit.Actor{Type: audit.ActorAPIKey, ID: "key-1"}
			want := map[string]string{}
			for callID, req := range map[string]privacy.ErasureRequest{
				byEmail: {AgentEmail: strings.ToLower(email)},
				byValue: {Metadata: &call.MetaPair{Key: "phone", Value: phone}},
			} {
				req.OrgID, req.Actor, req.SourceIP = org.ID, actor, "192.0.2.7"
				e, err := s.Privacy.RequestErasure(ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				want[e.ID] = callID
			}
			for id := range want {
				for range 1500 {
					e, err := s.Privacy.GetErasure(ctx, org.ID, id)
					if err != nil || e.Status == "done" || e.Status == "failed" {
						break
					}
					time.Sleep(20 * time.Millisecond)
				}
			}
			// The job records erasure.done just after it marks the erasure
			// done: wait for the records too.
			var recs []store.AuditRecord
			for range 250 {
				recs = s.chain(t, org.ID)
				done := 0
				for _, r := range recs {
					if r.Action == privacy.ActionErasureDone {
						done++
					}
				}
				if done >= 2 {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			seen := map[string]int{}
			for _, r := range recs {
				callID, ok := want[r.TargetID]
				if !ok || r.TargetType != "erasure" {
					continue
				}
				switch r.Action {
				case privacy.ActionErasureRequest:
					if r.ActorType != actor.Type || r.ActorID != actor.ID || r.Outcome != audit.OutcomeSuccess || r.SourceIP != "192.0.2.7" {
						t.Errorf("request record %+v", r)
					}
				case privacy.ActionErasureDone:
					if r.ActorType != audit.ActorSystem || r.Outcome != audit.OutcomeSuccess || r.Detail["count"] != "1" ||
						r.Detail["call_ids"] != callID {
						t.Errorf("done record %+v, want call %s", r, callID)
					}
				}
				seen[r.Action]++
			}
			if seen[privacy.ActionErasureRequest] != 2 || seen[privacy.ActionErasureDone] != 2 {
				t.Errorf("erasure records %v, want 2 requests and 2 done", seen)
			}
			mustNotHold(t, recs, email, phone)
		})
	}
}

// TestConnectorRunsObserved runs pull sources (one against a real sshd,
// one against a closed port), a Genesys export rule against the simulator
// and an SFTP session on the hosted server, then requires: pull.run and
// genesys.run system records with ids and counts only, the runs counted
// by connector and outcome on /metrics, the quiet feeds gauge, and the
// open SFTP sessions gauge back to 0 once the client leaves.
func TestConnectorRunsObserved(t *testing.T) {
	t.Parallel()
	sshd := testenv.StartSSHD(t)
	remote := filepath.Join(sshd.Remote, "in", "call-7.wav")
	wav, err := os.ReadFile(filepath.Join("..", "audio", "testdata", "wav", "pcm_s16le_8k_mono.wav"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(remote), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(remote, wav, 0o644); err != nil {
		t.Fatal(err)
	}
	sim := genesystest.New(genesystest.Config{Seed: 3, Conversations: 6, TranscodingPercent: -1,
		Start: time.Now().Add(-10 * 24 * time.Hour).UTC().Truncate(time.Hour), Days: 2})
	t.Cleanup(sim.Close)
	s := runServer(t, false, func(c *config.Serve) {
		c.SFTPAddr = "127.0.0.1:0"
		c.SFTPPull.Tick, c.SFTPPull.Settle = 20*time.Millisecond, 20*time.Millisecond
		c.Genesys.Tick, c.Genesys.Lag = 20*time.Millisecond, -1
		// Every enabled feed is quiet: none imported within the last nanosecond.
		c.Connectors.FeedQuietAfter = time.Nanosecond
	})
	ctx := t.Context()
	org, camp := newOrg(t, s.Store)
	m := s.Connectors
	ok, err := m.CreatePullSource(ctx, org.ID, camp.ID, connectors.PullSourceInput{Host: new("127.0.0.1"), Port: new(sshd.Port),
		Username: new(sshd.User), PrivateKey: new(sshd.ClientKey), HostKeyFingerprint: new(sshd.Fingerprint), Folder: new("in"),
		Pattern: new("*.wav"), MinAgeSeconds: new(0), AfterAction: new("delete"), Enabled: new(true)})
	if err != nil {
		t.Fatal(err)
	}
	closed := connectors.PullSourceInput{Host: new("127.0.0.1"), Port: new(1), Username: new("u"), Password: new("pull-password"),
		HostKeyFingerprint: new(sshd.Fingerprint), Pattern: new("*.wav"), IntervalSeconds: new(3600), Enabled: new(true)}
	bad, err := m.CreatePullSource(ctx, org.ID, camp.ID, closed)
	if err != nil {
		t.Fatal(err)
	}
	closed.Enabled = new(false)
	if _, err := m.CreatePullSource(ctx, org.ID, camp.ID, closed); err != nil {
		t.Fatal(err)
	}
	id, secret := sim.Credentials()
	if _, err := m.PutGenesysConnection(ctx, org.ID, connectors.GenesysConnectionInput{APIBaseURL: sim.URL(), ClientID: id,
		ClientSecret: &secret}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.PutGenesysRule(ctx, org.ID, camp.ID, connectors.GenesysRuleInput{
		BackfillStart: time.Now().Add(-14 * 24 * time.Hour), IntervalSeconds: 3600, Enabled: true}); err != nil {
		t.Fatal(err)
	}

	wantRuns := []string{
		`callimport_connector_runs_total{connector="sftp_pull",outcome="success"} 1`,
		`callimport_connector_runs_total{connector="sftp_pull",outcome="failure"} 1`,
		`callimport_connector_runs_total{connector="genesys",outcome="success"} 1`,
		`callimport_connector_runs_total{connector="genesys",outcome="failure"} 0`,
		`callimport_connector_quiet_feeds{connector="sftp_pull"} 2`,
		`callimport_connector_quiet_feeds{connector="genesys"} 1`,
		`callimport_sftp_sessions 0`,
	}
	s.waitMetrics(t, wantRuns...)

	recs := s.chain(t, org.ID)
	runs := map[string]store.AuditRecord{}
	for _, r := range recs {
		if r.Action == connectors.ActionPullRun || r.Action == connectors.ActionGenesysRun {
			runs[r.TargetType+"/"+r.TargetID] = r
			if r.ActorType != audit.ActorSystem || r.SourceIP != "" {
				t.Errorf("run record %+v is not a system event", r)
			}
		}
	}
	if r := runs["pull_source/"+ok.ID]; r.Outcome != audit.OutcomeSuccess || r.Detail["imported"] != "1" ||
		r.Detail["campaign_id"] != camp.ID || r.Detail["errors"] != "0" {
		t.Errorf("pull run record %+v", r)
	}
	if r := runs["pull_source/"+bad.ID]; r.Outcome != audit.OutcomeFailure || r.Detail["stopped"] != "true" || r.Detail["imported"] != "0" {
		t.Errorf("failed pull run record %+v", r)
	}
	if r := runs["genesys_rule/"+camp.ID]; r.Outcome != audit.OutcomeSuccess || r.Detail["imported"] == "0" || r.Detail["failed"] != "0" {
		t.Errorf("genesys run record %+v", r)
	}
	if len(runs) != 3 {
		t.Errorf("run records %v, want 3", runs)
	}
	mustNotHold(t, recs, sshd.User, "call-7.wav", "pull-password", secret)

	// An SFTP session of the hosted server is counted while open.
	pw := "a long sftp password"
	if _, err := m.CreateAccount(ctx, org.ID, connectors.AccountInput{Username: new("observer"), Password: &pw}); err != nil {
		t.Fatal(err)
	}
	addr := regexp.MustCompile(`msg="sftp server listening" addr=(\S+)`).FindStringSubmatch(s.logs.String())
	if addr == nil {
		t.Fatalf("no sftp address in the logs:\n%s", s.logs.String())
	}
	conn, err := ssh.Dial("tcp", addr[1], &ssh.ClientConfig{User: "observer", Auth: []ssh.AuthMethod{ssh.Password(pw)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second}) //nolint:gosec // the test's own server
	if err != nil {
		t.Fatal(err)
	}
	sc, err := sftp.NewClient(conn)
	if err != nil {
		t.Fatal(err)
	}
	s.waitMetrics(t, `callimport_sftp_sessions 1`)
	_ = sc.Close()
	_ = conn.Close()
	s.waitMetrics(t, `callimport_sftp_sessions 0`)
}

// waitMetrics scrapes /metrics until it holds every line of want (a
// minute at most).
func (s *runningServer) waitMetrics(t *testing.T, want ...string) {
	t.Helper()
	var body string
	for range 3000 {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.url+"/metrics", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		body = string(b)
		missing := false
		for _, w := range want {
			if !strings.Contains(body, "\n"+w+"\n") {
				missing = true
				break
			}
		}
		if !missing {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, w := range want {
		if !strings.Contains(body, "\n"+w+"\n") {
			t.Errorf("/metrics lacks %s", w)
		}
	}
	t.Fatalf("metrics:\n%s", grepLines(body, "callimport_connector", "callimport_sftp"))
}

// grepLines returns the lines of s that start with one of prefixes.
func grepLines(s string, prefixes ...string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		for _, p := range prefixes {
			if strings.HasPrefix(l, p) {
				out = append(out, l)
			}
		}
	}
	return strings.Join(out, "\n")
}
