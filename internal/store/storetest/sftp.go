package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/store"
)

func sftpTests() []test {
	return []test{
		{"SFTPAccountLifecycle", testSFTPAccountLifecycle},
		{"SFTPAccountUnique", testSFTPAccountUnique},
		{"SFTPReceipts", testSFTPReceipts},
	}
}

// sftpAccounts returns s as store.SFTPAccounts, failing if it is not one.
func sftpAccounts(t *testing.T, s store.Store) store.SFTPAccounts {
	t.Helper()
	a, ok := s.(store.SFTPAccounts)
	if !ok {
		t.Fatalf("%T does not implement store.SFTPAccounts", s)
	}
	return a
}

func testSFTPAccountLifecycle(t *testing.T, s store.Store) {
	f := setup(t, s)
	sa := sftpAccounts(t, s)
	ctx := t.Context()
	a, err := sa.SFTPAccountCreate(ctx, store.SFTPAccountCreateParams{
		OrgID: f.org.ID, Username: " Telephony ", PasswordHash: "h", AuthorizedKeys: "ssh-ed25519 AAAA x",
		CampaignIDs: []string{f.campaign.ID},
	})
	if err != nil {
		t.Fatalf("SFTPAccountCreate: %v", err)
	}
	if a.Username != "telephony" || a.ID == "" || a.CreatedAt.IsZero() {
		t.Fatalf("created %+v", a)
	}
	got, err := sa.SFTPAccountGetByUsername(ctx, "TELEPHONY")
	if err != nil {
		t.Fatalf("SFTPAccountGetByUsername: %v", err)
	}
	if got.ID != a.ID || got.PasswordHash != "h" || got.AuthorizedKeys != "ssh-ed25519 AAAA x" ||
		!slices.Equal(got.CampaignIDs, []string{f.campaign.ID}) || got.Disabled || !got.CreatedAt.Equal(a.CreatedAt) {
		t.Fatalf("got %+v, want %+v", got, a)
	}
	other := newOrg(t, s)
	if _, err := sa.SFTPAccountGet(ctx, other.ID, a.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("SFTPAccountGet from another org: %v, want ErrNotFound", err)
	}
	if _, err := sa.SFTPAccountGetByUsername(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("SFTPAccountGetByUsername(nobody): %v, want ErrNotFound", err)
	}
	yes, none := true, []string{}
	up, err := sa.SFTPAccountUpdate(ctx, store.SFTPAccountUpdateParams{OrgID: f.org.ID, ID: a.ID, Disabled: &yes, CampaignIDs: &none})
	if err != nil {
		t.Fatalf("SFTPAccountUpdate: %v", err)
	}
	if !up.Disabled || up.CampaignIDs != nil || up.PasswordHash != "h" || up.AuthorizedKeys != a.AuthorizedKeys {
		t.Fatalf("updated %+v", up)
	}
	if _, err := sa.SFTPAccountUpdate(ctx, store.SFTPAccountUpdateParams{OrgID: other.ID, ID: a.ID, Disabled: &yes}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("SFTPAccountUpdate from another org: %v, want ErrNotFound", err)
	}
	list, err := sa.SFTPAccountList(ctx, f.org.ID)
	if err != nil || len(list) != 1 || list[0].ID != a.ID {
		t.Fatalf("SFTPAccountList = %+v, %v", list, err)
	}
	if err := sa.SFTPAccountDelete(ctx, f.org.ID, a.ID); err != nil {
		t.Fatalf("SFTPAccountDelete: %v", err)
	}
	if err := sa.SFTPAccountDelete(ctx, f.org.ID, a.ID); err != nil {
		t.Fatalf("SFTPAccountDelete again: %v", err)
	}
	if _, err := sa.SFTPAccountGet(ctx, f.org.ID, a.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("SFTPAccountGet after delete: %v, want ErrNotFound", err)
	}
}

func testSFTPAccountUnique(t *testing.T, s store.Store) {
	f := setup(t, s)
	sa := sftpAccounts(t, s)
	ctx := t.Context()
	name := "u" + randHex(4)
	if _, err := sa.SFTPAccountCreate(ctx, store.SFTPAccountCreateParams{OrgID: f.org.ID, Username: name}); err != nil {
		t.Fatalf("SFTPAccountCreate: %v", err)
	}
	other := newOrg(t, s)
	_, err := sa.SFTPAccountCreate(ctx, store.SFTPAccountCreateParams{OrgID: other.ID, Username: name})
	if !errors.Is(err, store.ErrAlreadyExists) {
		t.Fatalf("same username in another org: %v, want ErrAlreadyExists", err)
	}
	_, err = sa.SFTPAccountCreate(ctx, store.SFTPAccountCreateParams{OrgID: "no-such-org", Username: "x" + name})
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown org: %v, want ErrNotFound", err)
	}
}

func testSFTPReceipts(t *testing.T, s store.Store) {
	f := setup(t, s)
	sr, ok := s.(store.SFTPReceipts)
	if !ok {
		t.Fatalf("%T does not implement store.SFTPReceipts", s)
	}
	ctx := t.Context()
	before := time.Now().Add(-time.Second)
	a, err := sr.SFTPReceiptCreate(ctx, store.SFTPReceiptCreateParams{OrgID: f.org.ID, CampaignID: f.campaign.ID,
		FileName: "sub/a.wav", CallID: "c1", Status: store.SFTPReceiptReceived})
	if err != nil {
		t.Fatalf("SFTPReceiptCreate: %v", err)
	}
	b, err := sr.SFTPReceiptCreate(ctx, store.SFTPReceiptCreateParams{OrgID: f.org.ID, CampaignID: f.campaign.ID,
		FileName: "b.txt", Status: store.SFTPReceiptRejected, Reason: "not audio"})
	if err != nil {
		t.Fatalf("SFTPReceiptCreate: %v", err)
	}
	got, err := sr.SFTPReceiptList(ctx, store.SFTPReceiptListParams{OrgID: f.org.ID, CampaignID: f.campaign.ID,
		Since: before, Until: time.Now().Add(time.Minute)})
	if err != nil {
		t.Fatalf("SFTPReceiptList: %v", err)
	}
	if len(got) != 2 || got[0].ID != a.ID || got[1].ID != b.ID || got[1].Reason != "not audio" ||
		got[0].FileName != "sub/a.wav" || got[0].CallID != "c1" || !got[0].CreatedAt.Equal(a.CreatedAt) {
		t.Fatalf("SFTPReceiptList = %+v", got)
	}
	other := newOrg(t, s)
	got, err = sr.SFTPReceiptList(ctx, store.SFTPReceiptListParams{OrgID: other.ID, CampaignID: f.campaign.ID,
		Since: before, Until: time.Now().Add(time.Minute)})
	if err != nil || len(got) != 0 {
		t.Fatalf("another org's list = %+v, %v", got, err)
	}
	got, err = sr.SFTPReceiptList(ctx, store.SFTPReceiptListParams{OrgID: f.org.ID, CampaignID: f.campaign.ID,
		Since: time.Now().Add(time.Minute), Until: time.Now().Add(time.Hour)})
	if err != nil || len(got) != 0 {
		t.Fatalf("later window = %+v, %v", got, err)
	}
}
