package main_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/callimport/callimport/client"
)

// admin runs `callimport admin ...` on dataDir and decodes its --json output.
func admin(t *testing.T, dataDir, stdin string, out any, args ...string) {
	t.Helper()
	all := append([]string{"admin"}, args...)
	all = append(all, "--data-dir", dataDir, "--json")
	cmd := exec.CommandContext(t.Context(), bin.get(t), all...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("admin %v: %v\n%s", args, err, stderr.String())
	}
	if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
		t.Fatalf("admin %v: output %q: %v", args, stdout.String(), err)
	}
}

// TestAdminWhileServing manages a second organisation with the admin CLI
// while the server runs on the same data, then uses the new key.
func TestAdminWhileServing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := startServe(t, dir)

	var org struct{ ID, Name string }
	admin(t, dir, "", &org, "org", "create", "--name", "Acme")
	var user struct{ ID, Email, Role string }
	admin(t, dir, "a-long-enough-password\n", &user, "user", "create", "--org", "Acme", "--email", "QA@acme.example", "--role", "admin", "--password-stdin")
	if user.Email != "qa@acme.example" || user.Role != "admin" {
		t.Errorf("user = %+v", user)
	}
	var camp struct{ ID string }
	admin(t, dir, "", &camp, "campaign", "create", "--org", org.ID, "--name", "Sales")
	var key struct{ Key string }
	admin(t, dir, "", &key, "apikey", "create", "--org", "Acme", "--name", "robot", "--scope", "calls:write", "--scope", "calls:read")
	var oc struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	admin(t, dir, "", &oc, "oauth-client", "create", "--org", "Acme", "--name", "robot")
	if !strings.HasPrefix(oc.ClientSecret, "cis_") || oc.ClientID == "" {
		t.Errorf("oauth client = %+v", oc)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	c := client.New(p.URL, client.WithAPIKey(key.Key))
	wav, err := os.ReadFile(fixture(t, "wav/pcm_mulaw_8k_mono.wav"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.UploadCall(ctx, client.Upload{CampaignID: camp.ID, FileName: "a.wav", Body: bytes.NewReader(wav)})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.WaitCall(ctx, res.ID)
	if err != nil || got.Status != "imported" || got.Audio.Codec != "pcm_mulaw" {
		t.Fatalf("call = %+v, %v", got, err)
	}
	// The new organisation does not see the first one's demo campaign.
	if _, err := c.UploadCall(ctx, client.Upload{CampaignID: p.Camp, FileName: "a.wav", Body: bytes.NewReader(wav)}); !client.IsStatus(err, http.StatusNotFound) {
		t.Errorf("upload into another organisation's campaign: %v", err)
	}

	// Mistakes are named and exit with 2.
	cmd := exec.CommandContext(t.Context(), bin.get(t), "admin", "user", "create", "--data-dir", dir, "--org", "Acme", "--email", "not-an-email")
	out, err := cmd.CombinedOutput()
	if ee, ok := errors.AsType[*exec.ExitError](err); !ok || ee.ExitCode() != 2 || !strings.Contains(string(out), "email") {
		t.Errorf("bad e-mail: %v %s", err, out)
	}
}

// TestTLS serves HTTPS with --tls-cert and --tls-key.
func TestTLS(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certPEM, keyPEM := selfSigned(t)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	p := startServe(t, filepath.Join(dir, "data"), "--tls-cert", certFile, "--tls-key", keyFile)
	if !strings.HasPrefix(p.URL, "https://") {
		t.Fatalf("url = %s", p.URL)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	c := client.New(p.URL, client.WithAPIKey(p.APIKey), client.WithHTTPClient(hc))
	if _, err := c.ListCampaigns(t.Context()); err != nil {
		t.Fatal(err)
	}
	// Plain HTTP on the TLS port is refused.
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, strings.Replace(p.URL, "https://", "http://", 1)+"/healthz", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		_ = resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Error("plain HTTP answered 200 on the TLS port")
		}
	}
}

func selfSigned(t *testing.T) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
}
