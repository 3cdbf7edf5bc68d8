package storetest

import (
	"testing"
	"time"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/store"
)

func callTests() []test {
	return []test{
		{"CallRoundTrip", testCallRoundTrip},
		{"CallMinimal", testCallMinimal},
		{"CallDuplicate", testCallDuplicate},
		{"CallCreateUnknownCampaign", testCallCreateUnknownCampaign},
		{"CallOtherOrg", testCallOtherOrg},
		{"CallSetStatus", testCallSetStatus},
		{"CallMergeMetadata", testCallMergeMetadata},
		{"CallDelete", testCallDelete},
	}
}

func testCallRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s)
	p := f.callParams()
	p.Source = call.SourceSFTP
	p.FileName = "appel été #1.wav"
	p.SizeBytes = 5 << 30
	conv := time.Date(2024, 3, 1, 10, 30, 15, 123456789, time.FixedZone("CET", 3600))
	p.ConversationTime = &conv
	p.AgentEmail = "Agent.Smith@example.com"
	p.ExternalID = "ext-42"
	// Not sorted, with characters JSON escapes, so that order and content
	// must be kept verbatim.
	p.Metadata = []call.MetaPair{
		{Key: "zeta", Value: "last letter"},
		{Key: "alpha", Value: `<b>"quoted"</b> & ünïcödé ☎`},
		{Key: "Mid.key-1_x", Value: ""},
	}
	before := time.Now()
	c, err := s.CallCreate(ctx, p)
	wantNoErr(t, "CallCreate", err)
	wantRecent(t, "CreatedAt", c.CreatedAt, before)

	want := call.Call{
		ID: p.ID, OrgID: f.org.ID, CampaignID: f.campaign.ID, Status: call.StatusReceived,
		Source: call.SourceSFTP, FileName: p.FileName, SizeBytes: p.SizeBytes, SHA256: p.SHA256,
		Format: "wav", BlobKey: p.BlobKey,
		// Times are kept to the microsecond, in UTC.
		ConversationTime: ptr(time.Date(2024, 3, 1, 9, 30, 15, 123456000, time.UTC)),
		AgentEmail:       p.AgentEmail, ExternalID: "ext-42", Metadata: p.Metadata,
		CreatedAt: c.CreatedAt, UpdatedAt: c.CreatedAt,
	}
	wantEqual(t, "CallCreate", c, want)

	for name, get := range map[string]func() (call.Call, error){
		"CallGet":             func() (call.Call, error) { return s.CallGet(ctx, f.org.ID, p.ID) },
		"CallGetByID":         func() (call.Call, error) { return s.CallGetByID(ctx, p.ID) },
		"CallGetBySHA256":     func() (call.Call, error) { return s.CallGetBySHA256(ctx, f.campaign.ID, p.SHA256) },
		"CallGetByExternalID": func() (call.Call, error) { return s.CallGetByExternalID(ctx, f.campaign.ID, "ext-42") },
	} {
		got, err := get()
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		wantEqual(t, name, got, want)
	}

	_, err = s.CallGet(ctx, f.org.ID, "nope")
	wantErr(t, "CallGet unknown", err, store.ErrNotFound)
	_, err = s.CallGetByID(ctx, "nope")
	wantErr(t, "CallGetByID unknown", err, store.ErrNotFound)
	_, err = s.CallGetBySHA256(ctx, f.campaign.ID, randHex(32))
	wantErr(t, "CallGetBySHA256 unknown", err, store.ErrNotFound)
	_, err = s.CallGetByExternalID(ctx, f.campaign.ID, "nope")
	wantErr(t, "CallGetByExternalID unknown", err, store.ErrNotFound)
	other := newCampaign(t, s, f.org.ID)
	_, err = s.CallGetBySHA256(ctx, other.ID, p.SHA256)
	wantErr(t, "CallGetBySHA256 in another campaign", err, store.ErrNotFound)
	_, err = s.CallGetByExternalID(ctx, other.ID, "ext-42")
	wantErr(t, "CallGetByExternalID in another campaign", err, store.ErrNotFound)
}

// testCallMinimal checks that absent optional fields read back as absent.
func testCallMinimal(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s)
	p := f.callParams()
	p.Metadata = []call.MetaPair{} // empty reads back as nil
	c := mustCreateCall(t, s, p)
	got, err := s.CallGet(ctx, f.org.ID, c.ID)
	wantNoErr(t, "CallGet", err)
	if got.ConversationTime != nil || got.Metadata != nil || got.Audio != nil || got.ImportedAt != nil ||
		got.ExternalID != "" || got.AgentEmail != "" || got.RejectionReason != "" {
		t.Errorf("CallGet = %+v, want absent optional fields", got)
	}
	wantEqual(t, "CallGet", got, c)
	_, err = s.CallGetByExternalID(ctx, f.campaign.ID, "")
	wantErr(t, "CallGetByExternalID empty", err, store.ErrNotFound)
}

func testCallDuplicate(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s)
	p := f.callParams()
	p.ExternalID = "ext-1"
	first := mustCreateCall(t, s, p)

	sameSHA := f.callParams()
	sameSHA.SHA256 = p.SHA256
	_, err := s.CallCreate(ctx, sameSHA)
	wantErr(t, "CallCreate same SHA-256", err, store.ErrAlreadyExists)

	sameExt := f.callParams()
	sameExt.ExternalID = "ext-1"
	_, err = s.CallCreate(ctx, sameExt)
	wantErr(t, "CallCreate same external id", err, store.ErrAlreadyExists)

	sameID := f.callParams()
	sameID.ID = p.ID
	_, err = s.CallCreate(ctx, sameID)
	wantErr(t, "CallCreate same id", err, store.ErrAlreadyExists)

	// Empty external ids never collide.
	for range 3 {
		mustCreateCall(t, s, f.callParams())
	}
	// Another campaign may hold the same content and external id.
	other := fixture{org: f.org, campaign: newCampaign(t, s, f.org.ID)}
	q := other.callParams()
	q.SHA256, q.ExternalID = p.SHA256, "ext-1"
	mustCreateCall(t, s, q)

	got, err := s.CallGetBySHA256(ctx, f.campaign.ID, p.SHA256)
	wantNoErr(t, "CallGetBySHA256", err)
	wantEqual(t, "the first call", got, first)
}

func testCallCreateUnknownCampaign(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s)
	p := f.callParams()
	p.CampaignID = "no-such-campaign"
	_, err := s.CallCreate(ctx, p)
	wantErr(t, "CallCreate unknown campaign", err, store.ErrNotFound)

	// A campaign of another organisation is unknown too.
	other := setup(t, s)
	p = f.callParams()
	p.CampaignID = other.campaign.ID
	_, err = s.CallCreate(ctx, p)
	wantErr(t, "CallCreate in another org's campaign", err, store.ErrNotFound)
}

func testCallOtherOrg(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s)
	c := mustCreateCall(t, s, f.callParams())
	other := setup(t, s)

	_, err := s.CallGet(ctx, other.org.ID, c.ID)
	wantErr(t, "CallGet from another org", err, store.ErrNotFound)
	_, err = s.CallMergeMetadata(ctx, store.CallMergeMetadataParams{
		OrgID: other.org.ID, ID: c.ID, Metadata: []call.MetaPair{{Key: "k", Value: "v"}},
	})
	wantErr(t, "CallMergeMetadata from another org", err, store.ErrNotFound)
	_, err = s.CallDelete(ctx, other.org.ID, c.ID)
	wantErr(t, "CallDelete from another org", err, store.ErrNotFound)
	calls, _, err := s.CallList(ctx, store.CallListParams{OrgID: other.org.ID})
	wantNoErr(t, "CallList", err)
	if len(calls) != 0 {
		t.Errorf("CallList of another org = %d calls, want none", len(calls))
	}
	calls, _, err = s.CallList(ctx, store.CallListParams{OrgID: other.org.ID, CampaignID: f.campaign.ID})
	wantNoErr(t, "CallList", err)
	if len(calls) != 0 {
		t.Errorf("CallList of another org's campaign = %d calls, want none", len(calls))
	}

	got, err := s.CallGet(ctx, f.org.ID, c.ID)
	wantNoErr(t, "CallGet", err)
	wantEqual(t, "call after another org's attempts", got, c)
}

func testCallSetStatus(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s)
	c := mustCreateCall(t, s, f.callParams())

	t1 := time.Now().Add(time.Second)
	got, err := s.CallSetStatus(ctx, store.CallSetStatusParams{ID: c.ID, Status: call.StatusProcessing, Now: t1})
	wantNoErr(t, "CallSetStatus processing", err)
	c.Status, c.UpdatedAt = call.StatusProcessing, t1.UTC().Truncate(time.Microsecond)
	wantEqual(t, "CallSetStatus processing", got, c)

	audio := &call.AudioInfo{
		Format: "wav", Codec: "pcm_s16le", DurationSeconds: 61.125, SampleRateHz: 8000,
		Channels: 2, BitsPerSample: 16, BitRate: 256000, Silent: true,
	}
	t2 := t1.Add(1500 * time.Millisecond)
	got, err = s.CallSetStatus(ctx, store.CallSetStatusParams{ID: c.ID, Status: call.StatusImported, Audio: audio, Now: t2})
	wantNoErr(t, "CallSetStatus imported", err)
	c.Status, c.Audio, c.UpdatedAt = call.StatusImported, audio, t2.UTC().Truncate(time.Microsecond)
	c.ImportedAt = &c.UpdatedAt
	wantEqual(t, "CallSetStatus imported", got, c)
	read, err := s.CallGet(ctx, f.org.ID, c.ID)
	wantNoErr(t, "CallGet", err)
	wantEqual(t, "CallGet after import", read, c)

	// A second call, rejected with a zero-valued audio description.
	r := mustCreateCall(t, s, f.callParams())
	zero := &call.AudioInfo{}
	t3 := t2.Add(time.Second)
	got, err = s.CallSetStatus(ctx, store.CallSetStatusParams{
		ID: r.ID, Status: call.StatusRejected, Audio: zero, RejectionReason: "no audio stream", Now: t3,
	})
	wantNoErr(t, "CallSetStatus rejected", err)
	r.Status, r.Audio, r.RejectionReason, r.UpdatedAt = call.StatusRejected, zero, "no audio stream", t3.UTC().Truncate(time.Microsecond)
	wantEqual(t, "CallSetStatus rejected", got, r)

	// Without Audio the description is kept; leaving imported clears ImportedAt.
	got, err = s.CallSetStatus(ctx, store.CallSetStatusParams{ID: c.ID, Status: call.StatusProcessing, Now: t3})
	wantNoErr(t, "CallSetStatus back to processing", err)
	if got.Audio == nil || *got.Audio != *audio || got.ImportedAt != nil {
		t.Errorf("after processing again: Audio = %+v, ImportedAt = %v; want the audio kept and no ImportedAt", got.Audio, got.ImportedAt)
	}

	// A zero Now means the store's clock.
	before := time.Now()
	got, err = s.CallSetStatus(ctx, store.CallSetStatusParams{ID: r.ID, Status: call.StatusImported})
	wantNoErr(t, "CallSetStatus without Now", err)
	if got.ImportedAt == nil {
		t.Fatal("ImportedAt = nil, want set")
	}
	wantRecent(t, "ImportedAt", *got.ImportedAt, before)

	_, err = s.CallSetStatus(ctx, store.CallSetStatusParams{ID: "nope", Status: call.StatusImported})
	wantErr(t, "CallSetStatus unknown", err, store.ErrNotFound)
	if _, err = s.CallSetStatus(ctx, store.CallSetStatusParams{ID: c.ID, Status: "bogus"}); err == nil {
		t.Error("CallSetStatus with an unknown status: no error")
	}
}

func testCallMergeMetadata(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s)
	p := f.callParams()
	p.Metadata = []call.MetaPair{{Key: "b", Value: "1"}, {Key: "a", Value: "2"}}
	c := mustCreateCall(t, s, p)

	conv := time.Date(2023, 5, 6, 7, 8, 9, 10_000, time.UTC)
	got, err := s.CallMergeMetadata(ctx, store.CallMergeMetadataParams{
		OrgID: f.org.ID, ID: c.ID,
		Metadata:         []call.MetaPair{{Key: "a", Value: "changed"}, {Key: "z", Value: "3"}, {Key: "c", Value: "4"}},
		AgentEmail:       "late@example.com",
		ConversationTime: &conv,
	})
	wantNoErr(t, "CallMergeMetadata", err)
	c.Metadata = []call.MetaPair{{Key: "b", Value: "1"}, {Key: "a", Value: "2"}, {Key: "z", Value: "3"}, {Key: "c", Value: "4"}}
	c.AgentEmail, c.ConversationTime = "late@example.com", &conv
	if got.UpdatedAt.Before(c.UpdatedAt) {
		t.Errorf("UpdatedAt went back")
	}
	c.UpdatedAt = got.UpdatedAt
	wantEqual(t, "CallMergeMetadata", got, c)
	read, err := s.CallGet(ctx, f.org.ID, c.ID)
	wantNoErr(t, "CallGet", err)
	wantEqual(t, "CallGet after merge", read, c)

	// Fields already set are kept.
	got, err = s.CallMergeMetadata(ctx, store.CallMergeMetadataParams{
		OrgID: f.org.ID, ID: c.ID, AgentEmail: "other@example.com", ConversationTime: ptr(time.Now()),
	})
	wantNoErr(t, "CallMergeMetadata again", err)
	c.UpdatedAt = got.UpdatedAt
	wantEqual(t, "CallMergeMetadata again", got, c)

	// Merging into a call without metadata.
	e := mustCreateCall(t, s, f.callParams())
	got, err = s.CallMergeMetadata(ctx, store.CallMergeMetadataParams{
		OrgID: f.org.ID, ID: e.ID, Metadata: []call.MetaPair{{Key: "k", Value: "v"}, {Key: "k", Value: "dup"}},
	})
	wantNoErr(t, "CallMergeMetadata into empty", err)
	wantEqual(t, "merged metadata", got.Metadata, []call.MetaPair{{Key: "k", Value: "v"}})
	if got.AgentEmail != "" || got.ConversationTime != nil {
		t.Errorf("CallMergeMetadata set AgentEmail %q, ConversationTime %v from nothing", got.AgentEmail, got.ConversationTime)
	}

	_, err = s.CallMergeMetadata(ctx, store.CallMergeMetadataParams{OrgID: f.org.ID, ID: "nope"})
	wantErr(t, "CallMergeMetadata unknown", err, store.ErrNotFound)
}

func testCallDelete(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s)
	p := f.callParams()
	p.Metadata = []call.MetaPair{{Key: "k", Value: "v"}}
	c := mustCreateCall(t, s, p)
	keep := mustCreateCall(t, s, f.callParams())

	got, err := s.CallDelete(ctx, f.org.ID, c.ID)
	wantNoErr(t, "CallDelete", err)
	wantEqual(t, "CallDelete", got, c)
	_, err = s.CallGet(ctx, f.org.ID, c.ID)
	wantErr(t, "CallGet deleted", err, store.ErrNotFound)
	_, err = s.CallDelete(ctx, f.org.ID, c.ID)
	wantErr(t, "CallDelete again", err, store.ErrNotFound)

	// The same content may come again once deleted.
	again := f.callParams()
	again.SHA256 = p.SHA256
	mustCreateCall(t, s, again)
	_, err = s.CallGet(ctx, f.org.ID, keep.ID)
	wantNoErr(t, "CallGet of another call", err)
}
