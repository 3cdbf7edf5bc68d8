// Package storetest is the conformance suite every store.Store backend
// passes, in the manner of River's riverdrivertest:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return OpenTest(t) })
//	}
//
// Each sub-test runs in parallel on a fresh store of its own from open.
package storetest

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/store"
)

// test is one conformance check, run on a fresh store.
type test struct {
	name string
	fn   func(t *testing.T, s store.Store)
}

// Run runs the conformance suite; open must return a fresh, migrated store
// (closed by open's own cleanup) each time it is called.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	t.Helper()
	var tests []test
	tests = append(tests, orgTests()...)
	tests = append(tests, callTests()...)
	tests = append(tests, callListTests()...)
	tests = append(tests, authTests()...)
	tests = append(tests, intakeTests()...)
	tests = append(tests, txTests()...)
	tests = append(tests, sftpTests()...)
	tests = append(tests, genesysTests()...)
	tests = append(tests, sftpPullTests()...)
	tests = append(tests, totpTests()...)
	tests = append(tests, privacyTests()...)
	tests = append(tests, connectorsTests()...)
	tests = append(tests, auditTests()...)
	tests = append(tests, userAdminTests()...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
}

// fixture is an organisation with one campaign.
type fixture struct {
	org      call.Org
	campaign call.Campaign
}

func setup(t *testing.T, s store.Store) fixture {
	t.Helper()
	org := newOrg(t, s)
	return fixture{org: org, campaign: newCampaign(t, s, org.ID)}
}

func newOrg(t *testing.T, s store.Store) call.Org {
	t.Helper()
	o, err := s.OrgCreate(t.Context(), store.OrgCreateParams{Name: "org " + randHex(4)})
	if err != nil {
		t.Fatalf("OrgCreate: %v", err)
	}
	return o
}

func newCampaign(t *testing.T, s store.Store, orgID string) call.Campaign {
	t.Helper()
	c, err := s.CampaignCreate(t.Context(), store.CampaignCreateParams{OrgID: orgID, Name: "campaign " + randHex(4)})
	if err != nil {
		t.Fatalf("CampaignCreate: %v", err)
	}
	return c
}

// callParams returns a minimal new call of f's campaign with a random SHA-256.
func (f fixture) callParams() store.CallCreateParams {
	id := call.NewID()
	return store.CallCreateParams{
		ID:         id,
		OrgID:      f.org.ID,
		CampaignID: f.campaign.ID,
		Source:     call.SourceAPI,
		FileName:   "call.wav",
		SizeBytes:  1234,
		SHA256:     randHex(32),
		Format:     "wav",
		BlobKey:    "calls/" + id,
	}
}

func mustCreateCall(t *testing.T, s store.Store, p store.CallCreateParams) call.Call {
	t.Helper()
	c, err := s.CallCreate(t.Context(), p)
	if err != nil {
		t.Fatalf("CallCreate: %v", err)
	}
	return c
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// wantErr fails t unless err wraps target.
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: error %v, want %v", what, err, target)
	}
}

// wantNoErr fails t at once on err.
func wantNoErr(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// wantEqual reports every field of got that differs from want. Times must
// be equal instants and in UTC.
func wantEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	for _, d := range diff("", reflect.ValueOf(got), reflect.ValueOf(want)) {
		t.Errorf("%s: %s", what, d)
	}
}

var timeType = reflect.TypeFor[time.Time]()

func diff(path string, got, want reflect.Value) []string {
	if got.Type() == timeType {
		g, w := got.Interface().(time.Time), want.Interface().(time.Time)
		switch {
		case !g.Equal(w):
			return []string{fmt.Sprintf("%s = %s, want %s", path, g.Format(time.RFC3339Nano), w.Format(time.RFC3339Nano))}
		case g.Location() != time.UTC:
			return []string{fmt.Sprintf("%s is in %s, want UTC", path, g.Location())}
		}
		return nil
	}
	switch got.Kind() {
	case reflect.Pointer:
		switch {
		case got.IsNil() && want.IsNil():
			return nil
		case got.IsNil() != want.IsNil():
			return []string{fmt.Sprintf("%s = %v, want %v", path, show(got), show(want))}
		}
		return diff(path, got.Elem(), want.Elem())
	case reflect.Struct:
		var out []string
		for i := range got.NumField() {
			out = append(out, diff(path+"."+got.Type().Field(i).Name, got.Field(i), want.Field(i))...)
		}
		return out
	case reflect.Slice:
		if got.Len() != want.Len() || (got.IsNil() != want.IsNil()) {
			return []string{fmt.Sprintf("%s = %#v, want %#v", path, got.Interface(), want.Interface())}
		}
		var out []string
		for i := range got.Len() {
			out = append(out, diff(fmt.Sprintf("%s[%d]", path, i), got.Index(i), want.Index(i))...)
		}
		return out
	}
	if !reflect.DeepEqual(got.Interface(), want.Interface()) {
		return []string{fmt.Sprintf("%s = %#v, want %#v", path, got.Interface(), want.Interface())}
	}
	return nil
}

func show(v reflect.Value) string {
	if v.IsNil() {
		return "nil"
	}
	return fmt.Sprintf("%v", v.Elem().Interface())
}

// wantRecent fails t unless ts is in UTC, has no more than microsecond
// precision and lies between before and now.
func wantRecent(t *testing.T, what string, ts, before time.Time) {
	t.Helper()
	after := time.Now()
	switch {
	case ts.Location() != time.UTC:
		t.Errorf("%s is in %s, want UTC", what, ts.Location())
	case ts.Nanosecond()%1000 != 0:
		t.Errorf("%s = %s has sub-microsecond digits", what, ts.Format(time.RFC3339Nano))
	case ts.Before(before.Truncate(time.Microsecond)) || ts.After(after):
		t.Errorf("%s = %s, want between %s and %s", what, ts, before, after)
	}
}

func ptr[T any](v T) *T { return &v }
