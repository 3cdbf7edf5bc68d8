package storetest

import (
	"testing"
	"time"

	"github.com/callimport/callimport/internal/store"
)

func authTests() []test {
	return []test{
		{"Users", testUsers},
		{"APIKeys", testAPIKeys},
		{"OAuthClients", testOAuthClients},
		{"Tokens", testTokens},
	}
}

func testUsers(t *testing.T, s store.Store) {
	ctx := t.Context()
	org := newOrg(t, s)
	before := time.Now()
	u, err := s.UserCreate(ctx, store.UserCreateParams{
		OrgID: org.ID, Email: "Zoé.Admin@Example.COM", Role: store.RoleAdmin, PasswordHash: "$argon2id$v=19$x",
	})
	wantNoErr(t, "UserCreate", err)
	wantRecent(t, "CreatedAt", u.CreatedAt, before)
	want := store.User{
		ID: u.ID, OrgID: org.ID, Email: "zoé.admin@example.com", Role: store.RoleAdmin,
		PasswordHash: "$argon2id$v=19$x", CreatedAt: u.CreatedAt,
	}
	wantEqual(t, "UserCreate", u, want)
	m, err := s.UserCreate(ctx, store.UserCreateParams{ID: "user-m", OrgID: org.ID, Email: "ann@example.com"})
	wantNoErr(t, "UserCreate member", err)
	if m.ID != "user-m" || m.Role != store.RoleMember {
		t.Errorf("UserCreate = %+v, want id user-m and the member role", m)
	}

	for _, email := range []string{"zoé.admin@example.com", "ZOÉ.ADMIN@EXAMPLE.COM", " Zoé.Admin@Example.COM "} {
		got, err := s.UserGetByEmail(ctx, email)
		if err != nil {
			t.Errorf("UserGetByEmail(%q): %v", email, err)
			continue
		}
		wantEqual(t, "UserGetByEmail", got, want)
	}
	got, err := s.UserGet(ctx, org.ID, u.ID)
	wantNoErr(t, "UserGet", err)
	wantEqual(t, "UserGet", got, want)
	users, err := s.UserList(ctx, org.ID)
	wantNoErr(t, "UserList", err)
	wantEqual(t, "UserList", users, []store.User{m, want})

	_, err = s.UserCreate(ctx, store.UserCreateParams{OrgID: org.ID, Email: "ANN@example.com"})
	wantErr(t, "UserCreate same e-mail in another case", err, store.ErrAlreadyExists)
	other := newOrg(t, s)
	_, err = s.UserCreate(ctx, store.UserCreateParams{OrgID: other.ID, Email: "ann@example.com"})
	wantErr(t, "UserCreate same e-mail in another org", err, store.ErrAlreadyExists)
	_, err = s.UserCreate(ctx, store.UserCreateParams{OrgID: "nope", Email: "new@example.com"})
	wantErr(t, "UserCreate in an unknown org", err, store.ErrNotFound)
	_, err = s.UserGet(ctx, other.ID, u.ID)
	wantErr(t, "UserGet from another org", err, store.ErrNotFound)
	_, err = s.UserGetByEmail(ctx, "nobody@example.com")
	wantErr(t, "UserGetByEmail unknown", err, store.ErrNotFound)
	users, err = s.UserList(ctx, other.ID)
	wantNoErr(t, "UserList", err)
	if len(users) != 0 {
		t.Errorf("UserList of another org = %v", users)
	}
}

func testAPIKeys(t *testing.T, s store.Store) {
	ctx := t.Context()
	org := newOrg(t, s)
	before := time.Now()
	k, err := s.APIKeyCreate(ctx, store.APIKeyCreateParams{
		OrgID: org.ID, Name: "uploader", Prefix: "ci_abcd", Hash: "hash-1",
		Scopes: []store.Scope{store.ScopeCallsWrite, store.ScopeCallsRead},
	})
	wantNoErr(t, "APIKeyCreate", err)
	wantRecent(t, "CreatedAt", k.CreatedAt, before)
	want := store.APIKey{
		ID: k.ID, OrgID: org.ID, Name: "uploader", Prefix: "ci_abcd", Hash: "hash-1",
		Scopes: []store.Scope{store.ScopeCallsWrite, store.ScopeCallsRead}, CreatedAt: k.CreatedAt,
	}
	wantEqual(t, "APIKeyCreate", k, want)
	time.Sleep(time.Millisecond) // distinct creation times order the list
	k2, err := s.APIKeyCreate(ctx, store.APIKeyCreateParams{ID: "key-2", OrgID: org.ID, Name: "none", Hash: "hash-2"})
	wantNoErr(t, "APIKeyCreate without scopes", err)
	if k2.ID != "key-2" || k2.Scopes != nil {
		t.Errorf("APIKeyCreate = %+v", k2)
	}

	got, err := s.APIKeyGetByHash(ctx, "hash-1")
	wantNoErr(t, "APIKeyGetByHash", err)
	wantEqual(t, "APIKeyGetByHash", got, want)
	_, err = s.APIKeyCreate(ctx, store.APIKeyCreateParams{OrgID: org.ID, Name: "dup", Hash: "hash-1"})
	wantErr(t, "APIKeyCreate same hash", err, store.ErrAlreadyExists)
	_, err = s.APIKeyGetByHash(ctx, "nope")
	wantErr(t, "APIKeyGetByHash unknown", err, store.ErrNotFound)

	other := newOrg(t, s)
	err = s.APIKeyRevoke(ctx, other.ID, k.ID)
	wantErr(t, "APIKeyRevoke from another org", err, store.ErrNotFound)
	err = s.APIKeyRevoke(ctx, org.ID, "nope")
	wantErr(t, "APIKeyRevoke unknown", err, store.ErrNotFound)
	_, err = s.APIKeyGetByHash(ctx, "hash-1")
	wantNoErr(t, "APIKeyGetByHash after another org's revoke", err)

	before = time.Now()
	wantNoErr(t, "APIKeyRevoke", s.APIKeyRevoke(ctx, org.ID, k.ID))
	_, err = s.APIKeyGetByHash(ctx, "hash-1")
	wantErr(t, "APIKeyGetByHash revoked", err, store.ErrNotFound)
	keys, err := s.APIKeyList(ctx, org.ID)
	wantNoErr(t, "APIKeyList", err)
	if len(keys) != 2 || keys[0].RevokedAt == nil {
		t.Fatalf("APIKeyList = %+v, want both keys, the first revoked", keys)
	}
	wantRecent(t, "RevokedAt", *keys[0].RevokedAt, before)
	revokedAt := *keys[0].RevokedAt
	want.RevokedAt = &revokedAt
	wantEqual(t, "APIKeyList", keys, []store.APIKey{want, k2})

	time.Sleep(time.Millisecond)
	wantNoErr(t, "APIKeyRevoke again", s.APIKeyRevoke(ctx, org.ID, k.ID))
	keys, err = s.APIKeyList(ctx, org.ID)
	wantNoErr(t, "APIKeyList", err)
	if keys[0].RevokedAt == nil || !keys[0].RevokedAt.Equal(revokedAt) {
		t.Errorf("revoking again moved RevokedAt from %s to %v", revokedAt, keys[0].RevokedAt)
	}
	keys, err = s.APIKeyList(ctx, other.ID)
	wantNoErr(t, "APIKeyList", err)
	if len(keys) != 0 {
		t.Errorf("APIKeyList of another org = %v", keys)
	}
}

func testOAuthClients(t *testing.T, s store.Store) {
	ctx := t.Context()
	org := newOrg(t, s)
	before := time.Now()
	c, err := s.OAuthClientCreate(ctx, store.OAuthClientCreateParams{
		OrgID: org.ID, Name: "crm", ClientID: "cid-1", SecretHash: "secret-hash",
		Scopes: []store.Scope{store.ScopeAdmin},
	})
	wantNoErr(t, "OAuthClientCreate", err)
	wantRecent(t, "CreatedAt", c.CreatedAt, before)
	want := store.OAuthClient{
		ID: c.ID, OrgID: org.ID, Name: "crm", ClientID: "cid-1", SecretHash: "secret-hash",
		Scopes: []store.Scope{store.ScopeAdmin}, CreatedAt: c.CreatedAt,
	}
	wantEqual(t, "OAuthClientCreate", c, want)
	time.Sleep(time.Millisecond)
	c2, err := s.OAuthClientCreate(ctx, store.OAuthClientCreateParams{ID: "client-2", OrgID: org.ID, ClientID: "cid-2", SecretHash: "h"})
	wantNoErr(t, "OAuthClientCreate", err)

	got, err := s.OAuthClientGetByClientID(ctx, "cid-1")
	wantNoErr(t, "OAuthClientGetByClientID", err)
	wantEqual(t, "OAuthClientGetByClientID", got, want)
	_, err = s.OAuthClientCreate(ctx, store.OAuthClientCreateParams{OrgID: org.ID, ClientID: "cid-1", SecretHash: "x"})
	wantErr(t, "OAuthClientCreate same client id", err, store.ErrAlreadyExists)
	_, err = s.OAuthClientGetByClientID(ctx, "nope")
	wantErr(t, "OAuthClientGetByClientID unknown", err, store.ErrNotFound)

	other := newOrg(t, s)
	err = s.OAuthClientRevoke(ctx, other.ID, c.ID)
	wantErr(t, "OAuthClientRevoke from another org", err, store.ErrNotFound)
	err = s.OAuthClientRevoke(ctx, org.ID, "nope")
	wantErr(t, "OAuthClientRevoke unknown", err, store.ErrNotFound)

	wantNoErr(t, "OAuthClientRevoke", s.OAuthClientRevoke(ctx, org.ID, c.ID))
	wantNoErr(t, "OAuthClientRevoke again", s.OAuthClientRevoke(ctx, org.ID, c.ID))
	_, err = s.OAuthClientGetByClientID(ctx, "cid-1")
	wantErr(t, "OAuthClientGetByClientID revoked", err, store.ErrNotFound)
	clients, err := s.OAuthClientList(ctx, org.ID)
	wantNoErr(t, "OAuthClientList", err)
	if len(clients) != 2 || clients[0].RevokedAt == nil {
		t.Fatalf("OAuthClientList = %+v, want both clients, the first revoked", clients)
	}
	want.RevokedAt = clients[0].RevokedAt
	wantEqual(t, "OAuthClientList", clients, []store.OAuthClient{want, c2})
	clients, err = s.OAuthClientList(ctx, other.ID)
	wantNoErr(t, "OAuthClientList", err)
	if len(clients) != 0 {
		t.Errorf("OAuthClientList of another org = %v", clients)
	}
}

func testTokens(t *testing.T, s store.Store) {
	ctx := t.Context()
	org := newOrg(t, s)
	c, err := s.OAuthClientCreate(ctx, store.OAuthClientCreateParams{OrgID: org.ID, ClientID: "cid", SecretHash: "h"})
	wantNoErr(t, "OAuthClientCreate", err)
	now := time.Now()
	exp := now.Add(time.Hour)
	err = s.TokenCreate(ctx, store.TokenCreateParams{
		Hash: "tok-1", OrgID: org.ID, ClientID: c.ID, Scopes: []store.Scope{store.ScopeCallsRead},
		ExpiresAt: exp, CreatedAt: now,
	})
	wantNoErr(t, "TokenCreate", err)
	want := store.Token{
		Hash: "tok-1", OrgID: org.ID, ClientID: c.ID, Scopes: []store.Scope{store.ScopeCallsRead},
		ExpiresAt: exp.UTC().Truncate(time.Microsecond),
	}
	got, err := s.TokenGetByHash(ctx, "tok-1", now)
	wantNoErr(t, "TokenGetByHash", err)
	wantEqual(t, "TokenGetByHash", got, want)

	err = s.TokenCreate(ctx, store.TokenCreateParams{Hash: "tok-1", OrgID: org.ID, ClientID: c.ID, ExpiresAt: exp, CreatedAt: now})
	wantErr(t, "TokenCreate same hash", err, store.ErrAlreadyExists)
	other := newOrg(t, s)
	err = s.TokenCreate(ctx, store.TokenCreateParams{Hash: "tok-x", OrgID: other.ID, ClientID: c.ID, ExpiresAt: exp, CreatedAt: now})
	wantErr(t, "TokenCreate for another org's client", err, store.ErrNotFound)

	_, err = s.TokenGetByHash(ctx, "tok-1", exp)
	wantErr(t, "TokenGetByHash at expiry", err, store.ErrNotFound)
	_, err = s.TokenGetByHash(ctx, "tok-1", exp.Add(time.Minute))
	wantErr(t, "TokenGetByHash after expiry", err, store.ErrNotFound)
	_, err = s.TokenGetByHash(ctx, "tok-1", exp.Add(-time.Microsecond))
	wantNoErr(t, "TokenGetByHash just before expiry", err)
	_, err = s.TokenGetByHash(ctx, "nope", now)
	wantErr(t, "TokenGetByHash unknown", err, store.ErrNotFound)

	wantNoErr(t, "OAuthClientRevoke", s.OAuthClientRevoke(ctx, org.ID, c.ID))
	_, err = s.TokenGetByHash(ctx, "tok-1", now)
	wantErr(t, "TokenGetByHash of a revoked client", err, store.ErrNotFound)
}
