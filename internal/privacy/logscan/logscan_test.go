package logscan_test

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/app/apptest"
	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/callimport/callimport/internal/auth"
	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/privacy"
	"github.com/callimport/callimport/internal/store"
	"github.com/callimport/callimport/internal/telemetry"
)

// TestNoPersonalDataInLogs runs the flow on both stores and scans the logs.
func TestNoPersonalDataInLogs(t *testing.T) {
	t.Parallel()
	for _, be := range []struct {
		name     string
		postgres bool
	}{{"sqlite", false}, {"postgres", true}} {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			env := apptest.Start(t, apptest.Options{Postgres: be.postgres, SFTP: true})
			f := &flow{t: t, env: env, secrets: map[string]string{}}
			f.run()
			f.scan("server", env.Logs())
			f.scan("retention run", f.extraLogs.Bytes())
		})
	}
}

// flow is one run of the scenario; secrets maps each string that must
// never be logged to what it is.
type flow struct {
	t         *testing.T
	env       *apptest.Env
	secrets   map[string]string
	extraLogs syncBuffer
}

func (f *flow) secret(what, s string) string {
	f.secrets[s] = what
	return s
}

func (f *flow) run() {
	t, env := f.t, f.env
	a, b := env.A, env.B
	for what, s := range map[string]string{"A admin key": a.AdminKey, "A write key": a.WriteKey, "A read key": a.ReadKey,
		"B admin key": b.AdminKey, "B write key": b.WriteKey, "B read key": b.ReadKey,
		"A OAuth secret": a.ClientSecret, "B OAuth secret": b.ClientSecret} {
		f.secret(what, s)
	}
	emailA := f.secret("agent e-mail", "jeanne.martin.logscan@example.com")
	emailB := f.secret("agent e-mail", "Paul.Durand.Logscan@example.org")
	phone1 := f.secret("phone number", "+33612349876")
	phone2 := f.secret("phone number", "06 98 76 54 32")
	custName := f.secret("metadata value", "Mme Genevieve Lefebvre-Logscan")
	fileName := f.secret("file name", "appel-lefebvre-0698765432.wav")
	tusEmail := f.secret("agent e-mail", "tus.agent.logscan@example.net")
	badEmail := f.secret("refused agent e-mail", "refused.logscan@@example.com")
	wrongKey := f.secret("wrong API key", "cik_wrongwrongwrongwrongwrongwrong0123")
	password := f.secret("web password", "Correct-Horse-Logscan-42")
	wrongPassword := f.secret("wrong web password", "Wrong-Horse-Logscan-43")
	userEmail := f.secret("user e-mail", "qa.manager.logscan@example.com")
	extID := f.secret("external id", "ext-logscan-778899")

	// Uploads by form, with a key and with a bearer token.
	token := f.secret("bearer token", f.token(a.ClientID, a.ClientSecret))
	var ids []string
	for i, up := range []struct {
		key, bearer string
		fields      map[string]string
	}{
		{a.WriteKey, "", map[string]string{"agent_email": emailA, "external_id": extID,
			"metadata": `[{"key":"phone","value":"` + phone1 + `"},{"key":"customer","value":"` + custName + `"}]`}},
		{"", token, map[string]string{"agent_email": emailB, "metadata": `{"phone":"` + phone2 + `"}`}},
		{a.WriteKey, "", map[string]string{"agent_email": emailA, "metadata": `{"phone":"` + phone2 + `"}`}},
	} {
		up.fields["campaign_id"] = a.CampaignID
		status, body := f.upload(up.key, up.bearer, fileName, wav(i+1), up.fields)
		if status != http.StatusCreated {
			t.Fatalf("upload %d: %d %s", i, status, body)
		}
		ids = append(ids, jsonField(t, body, "id"))
	}
	bStatus, bBody := f.upload(b.WriteKey, "", fileName, wav(9), map[string]string{"campaign_id": b.CampaignID,
		"agent_email": emailA, "metadata": `{"phone":"` + phone1 + `"}`})
	if bStatus != http.StatusCreated {
		t.Fatalf("B upload: %d %s", bStatus, bBody)
	}
	// Refused uploads: the reason may name the field, never the value.
	if st, body := f.upload(a.WriteKey, "", fileName, wav(4), map[string]string{"campaign_id": a.CampaignID, "agent_email": badEmail}); st != 422 {
		t.Errorf("bad e-mail: %d %s", st, body)
	}
	if st, _ := f.upload(wrongKey, "", fileName, wav(5), map[string]string{"campaign_id": a.CampaignID}); st != 401 {
		t.Errorf("wrong key: %d", st)
	}
	if st, _ := f.upload(a.WriteKey, "", fileName, []byte("not audio at all "+phone1), map[string]string{"campaign_id": a.CampaignID, "agent_email": emailA}); st != 415 {
		t.Errorf("not audio: %d", st)
	}
	if st, _ := f.upload(a.WriteKey, "", fileName, wav(1), map[string]string{"campaign_id": a.CampaignID, "external_id": extID}); st != 200 {
		t.Errorf("duplicate: %d", st)
	}
	f.token(a.ClientID, f.secret("wrong OAuth secret", "wrong-secret-logscan-556677"))

	// A resumable upload with the envelope in Upload-Metadata.
	f.tus(a.WriteKey, a.CampaignID, tusEmail, phone1, fileName)

	// SFTP: a refused password, then a sidecar and its audio.
	f.sftp(a.OrgID, a.CampaignID, f.secret("SFTP user name", "logscan.sftp.user"), f.secret("SFTP password", "Sftp-Logscan-Pass-99"),
		f.secret("SFTP file name", "rec-lefebvre-0698765432"), emailA, phone2)

	// Reads, listings filtered by e-mail, audio.
	for _, id := range ids {
		f.wait(a.ReadKey, id)
		f.do("GET", "/v1/calls/"+id+"/audio", a.ReadKey, "", nil)
	}
	f.do("GET", "/v1/calls?"+url.Values{"agent_email": {emailA}}.Encode(), a.ReadKey, "", nil)

	// Web sign-ins, good and bad.
	if _, err := env.Store.UserCreate(t.Context(), store.UserCreateParams{OrgID: a.OrgID, Email: userEmail,
		Role: store.RoleAdmin, PasswordHash: auth.HashPassword(password)}); err != nil {
		t.Fatal(err)
	}
	f.login(userEmail, wrongPassword)
	f.login("nobody."+userEmail, password)
	f.login(userEmail, password)

	// Erasures by e-mail, by metadata value, of one call; B's by A's e-mail.
	f.erase(a.AdminKey, map[string]any{"agent_email": strings.ToUpper(emailA)})
	f.erase(a.AdminKey, map[string]any{"metadata": map[string]string{"key": "phone", "value": phone2}})
	f.erase(b.AdminKey, map[string]any{"agent_email": emailA})
	f.do("POST", "/v1/erasures", a.AdminKey, "application/json", []byte(`{"agent_email":"`+badEmail+`"}`))

	// Retention: a service like the server's, run as if 2 days later.
	days := 1
	if _, err := env.Store.CampaignUpdate(t.Context(), store.CampaignUpdateParams{OrgID: a.OrgID, ID: a.CampaignID, RetentionDays: &days}); err != nil {
		t.Fatal(err)
	}
	svc, err := privacy.New(privacy.Config{Store: env.Store, Blobs: env.Server.Bucket,
		Logger: telemetry.NewLogger(&f.extraLogs, "debug"), Now: func() time.Time { return time.Now().Add(48 * time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := svc.EnforceRetention(t.Context()); err != nil || n == 0 {
		t.Errorf("retention: %d, %v; want some calls deleted", n, err)
	}
	if len(env.Logs()) < 2000 {
		t.Fatalf("only %d bytes of logs: is debug logging captured?", len(env.Logs()))
	}
}

// scan fails for every log line holding a secret, naming both.
func (f *flow) scan(what string, logs []byte) {
	f.t.Helper()
	findings, n := scanLogs(logs, f.secrets)
	for _, fd := range findings {
		f.t.Errorf("%s %s", what, fd)
	}
	f.t.Logf("%s: scanned %d log lines for %d secrets", what, n, len(f.secrets))
}

// scanLogs returns a finding for every line of logs that is not a JSON
// object or holds one of secrets (compared ignoring case), and the number
// of lines.
func scanLogs(logs []byte, secrets map[string]string) (findings []string, lines int) {
	sc := bufio.NewScanner(bytes.NewReader(logs))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		lines++
		line := sc.Text()
		var obj map[string]any
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			findings = append(findings, "log line "+strconv.Itoa(lines)+" is not JSON: "+line)
		}
		low := strings.ToLower(line)
		for s, kind := range secrets {
			if strings.Contains(low, strings.ToLower(s)) {
				findings = append(findings, "log line "+strconv.Itoa(lines)+" holds a "+kind+" ("+strconv.Quote(s)+"): "+line)
			}
		}
	}
	return findings, lines
}

// TestScanLogsFindsPlantedSecrets: the scanner itself finds what it must.
func TestScanLogsFindsPlantedSecrets(t *testing.T) {
	t.Parallel()
	logs := []byte(`{"msg":"ok","call_id":"1"}
{"msg":"call received","agent":"JEANNE@example.com"}
not json
{"msg":"x","k":"cik_secret"}
`)
	got, n := scanLogs(logs, map[string]string{"jeanne@example.com": "e-mail", "cik_secret": "key", "absent": "x"})
	if n != 4 || len(got) != 3 || !strings.Contains(got[0], "line 2 holds a e-mail") ||
		!strings.Contains(got[1], "line 3 is not JSON") || !strings.Contains(got[2], "line 4 holds a key") {
		t.Errorf("scanLogs = %d lines, %q", n, got)
	}
}

// do sends a request and returns the status and body.
func (f *flow) do(method, path, key, contentType string, body []byte, hdr ...string) (int, []byte, http.Header) {
	f.t.Helper()
	req, err := http.NewRequestWithContext(f.t.Context(), method, f.env.URL+path, bytes.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("X-Api-Key", key)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

func (f *flow) upload(key, bearer, name string, audio []byte, fields map[string]string) (int, []byte) {
	f.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	w, _ := mw.CreateFormFile("file", name)
	_, _ = w.Write(audio)
	_ = mw.Close()
	var hdr []string
	if bearer != "" {
		hdr = []string{"Authorization", "Bearer " + bearer}
	}
	st, body, _ := f.do("POST", "/v1/calls/audio", key, mw.FormDataContentType(), buf.Bytes(), hdr...)
	return st, body
}

func (f *flow) token(clientID, secret string) string {
	f.t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {secret}}
	st, body, _ := f.do("POST", "/oauth/token", "", "application/x-www-form-urlencoded", []byte(form.Encode()))
	if st != http.StatusOK {
		return ""
	}
	return jsonField(f.t, body, "access_token")
}

func (f *flow) tus(key, campaign, email, phone, name string) {
	f.t.Helper()
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	data := wav(7)
	meta := "filename " + b64(name) + ",campaign_id " + b64(campaign) + ",agent_email " + b64(email) +
		",metadata " + b64(`{"phone":"`+phone+`"}`)
	st, body, h := f.do("POST", "/v1/uploads/", key, "", nil, "Tus-Resumable", "1.0.0",
		"Upload-Length", strconv.Itoa(len(data)), "Upload-Metadata", meta)
	if st != http.StatusCreated {
		f.t.Fatalf("tus create: %d %s", st, body)
	}
	st, body, _ = f.do("PATCH", h.Get("Location"), key, "application/offset+octet-stream", data,
		"Tus-Resumable", "1.0.0", "Upload-Offset", "0")
	if st != http.StatusNoContent {
		f.t.Fatalf("tus patch: %d %s", st, body)
	}
}

func (f *flow) sftp(orgID, campaignID, user, password, name, email, phone string) {
	f.t.Helper()
	t, ctx := f.t, f.t.Context()
	if _, err := f.env.Store.(store.SFTPAccounts).SFTPAccountCreate(ctx, store.SFTPAccountCreateParams{OrgID: orgID,
		Username: user, PasswordHash: auth.HashPassword(password)}); err != nil {
		t.Fatal(err)
	}
	addr := ""
	for deadline := time.Now().Add(30 * time.Second); addr == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		sc := bufio.NewScanner(bytes.NewReader(f.env.Logs()))
		for sc.Scan() {
			var l struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &l) == nil && l.Msg == "sftp server listening" {
				addr = l.Addr
			}
		}
	}
	if addr == "" {
		t.Fatal("the SFTP server did not log its address")
	}
	dial := func(pw string) (*ssh.Client, error) {
		return ssh.Dial("tcp", addr, &ssh.ClientConfig{User: user, Auth: []ssh.AuthMethod{ssh.Password(pw)},
			HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second}) // a test server of our own
	}
	if c, err := dial(f.secret("wrong SFTP password", "Wrong-Sftp-Logscan-98")); err == nil {
		_ = c.Close()
		t.Fatal("wrong SFTP password accepted")
	}
	conn, err := dial(password)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	c, err := sftp.NewClient(conn)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close() }()
	put := func(p string, b []byte) {
		w, err := c.Create(p)
		if err != nil {
			t.Fatalf("create %s: %v", p, err)
		}
		if _, err := w.Write(b); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	put("/"+campaignID+"/"+name+".json", []byte(`{"agent_email":"`+email+`","metadata":{"phone":"`+phone+`"}}`))
	put("/"+campaignID+"/"+name+".wav", wav(11))
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		cs, _, err := f.env.Store.CallList(ctx, store.CallListParams{OrgID: orgID, Source: call.SourceSFTP, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) == 1 && cs[0].Status == call.StatusImported && cs[0].AgentEmail == email {
			return
		}
	}
	t.Fatal("the SFTP upload did not become an imported call with its sidecar")
}

func (f *flow) wait(key, id string) {
	f.t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		_, body, _ := f.do("GET", "/v1/calls/"+id, key, "", nil)
		if s := jsonField(f.t, body, "status"); s == "imported" || s == "rejected" {
			return
		}
	}
	f.t.Fatalf("call %s not settled", id)
}

func (f *flow) login(email, password string) {
	f.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequestWithContext(f.t.Context(), "POST", f.env.URL+"/login",
		strings.NewReader(url.Values{"email": {email}, "password": {password}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := c.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	_ = resp.Body.Close()
}

func (f *flow) erase(key string, body map[string]any) {
	f.t.Helper()
	b, _ := json.Marshal(body)
	st, out, _ := f.do("POST", "/v1/erasures", key, "application/json", b)
	if st != http.StatusAccepted {
		f.t.Fatalf("erasure: %d %s", st, out)
	}
	id := jsonField(f.t, out, "id")
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		_, out, _ = f.do("GET", "/v1/erasures/"+id, key, "", nil)
		if s := jsonField(f.t, out, "status"); s == "done" || s == "failed" {
			return
		}
	}
	f.t.Fatalf("erasure %s not done", id)
}

func jsonField(t *testing.T, body []byte, name string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	s, _ := m[name].(string)
	return s
}

// wav returns a short 8 kHz mono PCM recording, distinct per seed.
func wav(seed int) []byte {
	const n = 1600
	var b bytes.Buffer
	b.WriteString("RIFF")
	_ = binary.Write(&b, binary.LittleEndian, uint32(36+2*n))
	b.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(1), uint32(8000), uint32(16000), uint16(2), uint16(16)} {
		_ = binary.Write(&b, binary.LittleEndian, v)
	}
	b.WriteString("data")
	_ = binary.Write(&b, binary.LittleEndian, uint32(2*n))
	for i := range n {
		_ = binary.Write(&b, binary.LittleEndian, int16((i*seed*37)%20000-10000))
	}
	return b.Bytes()
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.b.Bytes())
}
