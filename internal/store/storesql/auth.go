package storesql

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/store"
)

// UserCreate inserts a user; the e-mail is kept in lower case and the role
// defaults to member. It returns ErrAlreadyExists if the e-mail (in any case)
// or id is taken, ErrNotFound if the organisation does not exist.
func (q *queries) UserCreate(ctx context.Context, p store.UserCreateParams) (store.User, error) {
	u := store.User{
		ID: p.ID, OrgID: p.OrgID, Email: strings.ToLower(strings.TrimSpace(p.Email)),
		Role: p.Role, PasswordHash: p.PasswordHash, CreatedAt: now(),
	}
	if u.ID == "" {
		u.ID = call.NewID()
	}
	if u.Role == "" {
		u.Role = store.RoleMember
	}
	err := q.insert(ctx, q.q.UserInsert, "create user "+u.ID,
		u.ID, u.OrgID, u.Email, string(u.Role), u.PasswordHash, u.Disabled, q.time(u.CreatedAt))
	if err != nil {
		return store.User{}, err
	}
	return u, nil
}

// UserGetByEmail looks the e-mail up, in any case, across organisations.
func (q *queries) UserGetByEmail(ctx context.Context, email string) (store.User, error) {
	u, err := scanUser(q.ex.QueryRowContext(ctx, q.q.UserGetByEmail, strings.ToLower(strings.TrimSpace(email))))
	if err != nil {
		return store.User{}, q.fail(err, "get user by email")
	}
	return u, nil
}

// UserGet returns ErrNotFound if the organisation has no such user.
func (q *queries) UserGet(ctx context.Context, orgID, id string) (store.User, error) {
	u, err := scanUser(q.ex.QueryRowContext(ctx, q.q.UserGet, orgID, id))
	if err != nil {
		return store.User{}, q.fail(err, "get user %s", id)
	}
	return u, nil
}

// UserList returns the organisation's users by e-mail.
func (q *queries) UserList(ctx context.Context, orgID string) ([]store.User, error) {
	return list(ctx, q, scanUser, "list users", q.q.UserList, orgID)
}

// APIKeyCreate stores a key by its hash; ErrAlreadyExists if the hash or id is taken.
func (q *queries) APIKeyCreate(ctx context.Context, p store.APIKeyCreateParams) (store.APIKey, error) {
	k := store.APIKey{
		ID: p.ID, OrgID: p.OrgID, Name: p.Name, Prefix: p.Prefix, Hash: p.Hash,
		Scopes: slices.Clone(p.Scopes), CreatedAt: now(),
	}
	if k.ID == "" {
		k.ID = call.NewID()
	}
	if len(k.Scopes) == 0 {
		k.Scopes = nil
	}
	scopes, err := encodeScopes(k.Scopes)
	if err != nil {
		return store.APIKey{}, fmt.Errorf("create api key: %w", err)
	}
	err = q.insert(ctx, q.q.APIKeyInsert, "create api key "+k.ID,
		k.ID, k.OrgID, k.Name, k.Prefix, k.Hash, scopes, q.time(k.CreatedAt))
	if err != nil {
		return store.APIKey{}, err
	}
	return k, nil
}

// APIKeyGetByHash returns ErrNotFound for unknown and for revoked keys.
func (q *queries) APIKeyGetByHash(ctx context.Context, hash string) (store.APIKey, error) {
	k, err := scanAPIKey(q.ex.QueryRowContext(ctx, q.q.APIKeyGetByHash, hash))
	if err != nil {
		return store.APIKey{}, q.fail(err, "get api key by hash")
	}
	return k, nil
}

// APIKeyList returns the organisation's keys, revoked ones included, oldest first.
func (q *queries) APIKeyList(ctx context.Context, orgID string) ([]store.APIKey, error) {
	return list(ctx, q, scanAPIKey, "list api keys", q.q.APIKeyList, orgID)
}

// APIKeyRevoke revokes the organisation's key (again is a no-op), or
// returns ErrNotFound.
func (q *queries) APIKeyRevoke(ctx context.Context, orgID, id string) error {
	return q.update(ctx, q.q.APIKeyRevoke, "revoke api key "+id, q.time(time.Now()), orgID, id)
}

// OAuthClientCreate stores a client; ErrAlreadyExists if its client_id or id is taken.
func (q *queries) OAuthClientCreate(ctx context.Context, p store.OAuthClientCreateParams) (store.OAuthClient, error) {
	c := store.OAuthClient{
		ID: p.ID, OrgID: p.OrgID, Name: p.Name, ClientID: p.ClientID, SecretHash: p.SecretHash,
		Scopes: slices.Clone(p.Scopes), CreatedAt: now(),
	}
	if c.ID == "" {
		c.ID = call.NewID()
	}
	if len(c.Scopes) == 0 {
		c.Scopes = nil
	}
	scopes, err := encodeScopes(c.Scopes)
	if err != nil {
		return store.OAuthClient{}, fmt.Errorf("create oauth client: %w", err)
	}
	err = q.insert(ctx, q.q.OAuthClientInsert, "create oauth client "+c.ID,
		c.ID, c.OrgID, c.Name, c.ClientID, c.SecretHash, scopes, q.time(c.CreatedAt))
	if err != nil {
		return store.OAuthClient{}, err
	}
	return c, nil
}

// OAuthClientGetByClientID returns ErrNotFound for unknown and for revoked clients.
func (q *queries) OAuthClientGetByClientID(ctx context.Context, clientID string) (store.OAuthClient, error) {
	c, err := scanOAuthClient(q.ex.QueryRowContext(ctx, q.q.OAuthClientGetByClientID, clientID))
	if err != nil {
		return store.OAuthClient{}, q.fail(err, "get oauth client %q", clientID)
	}
	return c, nil
}

// OAuthClientList returns the organisation's clients, revoked ones included, oldest first.
func (q *queries) OAuthClientList(ctx context.Context, orgID string) ([]store.OAuthClient, error) {
	return list(ctx, q, scanOAuthClient, "list oauth clients", q.q.OAuthClientList, orgID)
}

// OAuthClientRevoke revokes the organisation's client (again is a no-op),
// or returns ErrNotFound. Its tokens stop working at once.
func (q *queries) OAuthClientRevoke(ctx context.Context, orgID, id string) error {
	return q.update(ctx, q.q.OAuthClientRevoke, "revoke oauth client "+id, q.time(time.Now()), orgID, id)
}

// TokenCreate stores an issued token by its hash. It returns ErrNotFound if
// the client is not the organisation's, ErrAlreadyExists if the hash is taken.
func (q *queries) TokenCreate(ctx context.Context, p store.TokenCreateParams) error {
	scopes, err := encodeScopes(p.Scopes)
	if err != nil {
		return fmt.Errorf("create token: %w", err)
	}
	created := p.CreatedAt
	if created.IsZero() {
		created = time.Now()
	}
	return q.insert(ctx, q.q.TokenInsert, "create token",
		p.Hash, p.OrgID, p.ClientID, scopes, q.time(p.ExpiresAt), q.time(created))
}

// TokenGetByHash returns ErrNotFound for unknown tokens, for tokens whose
// expiry is not after now, and for tokens whose client was revoked.
func (q *queries) TokenGetByHash(ctx context.Context, hash string, now time.Time) (store.Token, error) {
	t, err := scanToken(q.ex.QueryRowContext(ctx, q.q.TokenGetByHash, hash, q.time(now)))
	if err != nil {
		return store.Token{}, q.fail(err, "get token by hash")
	}
	return t, nil
}
