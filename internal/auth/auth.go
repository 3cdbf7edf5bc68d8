package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/store"
)

// Principal is who a request acts as.
type Principal struct {
	OrgID string
	// Kind is "api_key", "oauth" or "user".
	Kind string
	// ID is the API key id, the OAuth client id (ours) or the user id.
	ID     string
	Name   string
	Scopes []store.Scope
}

// Has reports whether p carries scope s; admin implies every scope.
func (p Principal) Has(s store.Scope) bool {
	return slices.Contains(p.Scopes, s) || slices.Contains(p.Scopes, store.ScopeAdmin)
}

// Config tunes Service. The zero value means defaults.
type Config struct {
	// TokenTTL is how long a bearer token lives; defaults to 15 minutes.
	TokenTTL time.Duration
	// Now defaults to time.Now.
	Now func() time.Time
}

// Service checks and issues credentials.
type Service struct {
	store store.Store
	cfg   Config
}

// New returns a Service.
func New(st store.Store, cfg Config) *Service {
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = 15 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{store: st, cfg: cfg}
}

var errBadCredentials = &call.Error{Code: call.CodeUnauthenticated, Message: "invalid or revoked credentials"}

// ParseScopes checks scope names; empty means the default calls:write and calls:read.
func ParseScopes(names []string) ([]store.Scope, error) {
	if len(names) == 0 {
		return []store.Scope{store.ScopeCallsWrite, store.ScopeCallsRead}, nil
	}
	var out []store.Scope
	for _, n := range names {
		for _, f := range strings.Fields(strings.ReplaceAll(n, ",", " ")) {
			s := store.Scope(f)
			switch s {
			case store.ScopeCallsWrite, store.ScopeCallsRead, store.ScopeAdmin:
				if !slices.Contains(out, s) {
					out = append(out, s)
				}
			default:
				return nil, fmt.Errorf("unknown scope %q (known: calls:write, calls:read, admin)", f)
			}
		}
	}
	return out, nil
}

// CreateAPIKey makes a key for orgID and returns it with the secret, which
// is shown once and never stored.
func (s *Service) CreateAPIKey(ctx context.Context, orgID, name string, scopes []store.Scope) (store.APIKey, string, error) {
	secret := newSecret(APIKeyPrefix)
	k, err := s.store.APIKeyCreate(ctx, store.APIKeyCreateParams{
		OrgID: orgID, Name: name, Prefix: secret[:len(APIKeyPrefix)+6], Hash: HashSecret(secret), Scopes: scopes,
	})
	if err != nil {
		return store.APIKey{}, "", fmt.Errorf("create api key: %w", err)
	}
	return k, secret, nil
}

// CreateOAuthClient makes a client for orgID and returns it with its secret,
// which is shown once and never stored.
func (s *Service) CreateOAuthClient(ctx context.Context, orgID, name string, scopes []store.Scope) (store.OAuthClient, string, error) {
	secret := newSecret(ClientSecretPrefix)
	c, err := s.store.OAuthClientCreate(ctx, store.OAuthClientCreateParams{
		OrgID: orgID, Name: name, ClientID: newSecret(ClientIDPrefix)[:len(ClientIDPrefix)+22],
		SecretHash: HashSecret(secret), Scopes: scopes,
	})
	if err != nil {
		return store.OAuthClient{}, "", fmt.Errorf("create oauth client: %w", err)
	}
	return c, secret, nil
}

// APIKey authenticates an x-api-key value. Unknown and revoked keys give a
// CodeUnauthenticated error.
func (s *Service) APIKey(ctx context.Context, key string) (Principal, error) {
	if !strings.HasPrefix(key, APIKeyPrefix) || len(key) > 128 {
		return Principal{}, errBadCredentials
	}
	k, err := s.store.APIKeyGetByHash(ctx, HashSecret(key))
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, errBadCredentials
	}
	if err != nil {
		return Principal{}, unavailable(err)
	}
	return Principal{OrgID: k.OrgID, Kind: "api_key", ID: k.ID, Name: k.Name, Scopes: k.Scopes}, nil
}

// Bearer authenticates a bearer token issued by IssueToken.
func (s *Service) Bearer(ctx context.Context, token string) (Principal, error) {
	if !strings.HasPrefix(token, TokenPrefix) || len(token) > 128 {
		return Principal{}, errBadCredentials
	}
	t, err := s.store.TokenGetByHash(ctx, HashSecret(token), s.cfg.Now())
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, &call.Error{Code: call.CodeUnauthenticated, Message: "invalid or expired token"}
	}
	if err != nil {
		return Principal{}, unavailable(err)
	}
	return Principal{OrgID: t.OrgID, Kind: "oauth", ID: t.ClientID, Scopes: t.Scopes}, nil
}

// TokenError is an OAuth 2.0 error response (RFC 6749 §5.2).
type TokenError struct {
	Code        string // invalid_client, invalid_grant, invalid_scope, ...
	Description string
}

func (e *TokenError) Error() string { return e.Code + ": " + e.Description }

// Token is an issued access token.
type Token struct {
	AccessToken string
	ExpiresIn   int
	Scopes      []store.Scope
	// OrgID and ClientID (ours) name the client the token was issued to.
	OrgID, ClientID string
}

// IssueToken runs the client credentials grant: it checks the client and
// secret and the requested scopes (empty = all of the client's) and returns
// a token. Refusals are *TokenError; storage failures are *call.Error.
func (s *Service) IssueToken(ctx context.Context, clientID, secret string, scope string) (Token, error) {
	c, err := s.store.OAuthClientGetByClientID(ctx, clientID)
	if errors.Is(err, store.ErrNotFound) {
		return Token{}, &TokenError{Code: "invalid_client", Description: "unknown client or wrong secret"}
	}
	if err != nil {
		return Token{}, unavailable(err)
	}
	if subtle.ConstantTimeCompare([]byte(HashSecret(secret)), []byte(c.SecretHash)) != 1 {
		return Token{}, &TokenError{Code: "invalid_client", Description: "unknown client or wrong secret"}
	}
	scopes := c.Scopes
	if strings.TrimSpace(scope) != "" {
		scopes = nil
		for _, f := range strings.Fields(scope) {
			sc := store.Scope(f)
			if !slices.Contains(c.Scopes, sc) && !slices.Contains(c.Scopes, store.ScopeAdmin) {
				return Token{}, &TokenError{Code: "invalid_scope", Description: fmt.Sprintf("scope %q is not granted to this client", f)}
			}
			if _, err := ParseScopes([]string{f}); err != nil {
				return Token{}, &TokenError{Code: "invalid_scope", Description: err.Error()}
			}
			scopes = append(scopes, sc)
		}
	}
	tok := newSecret(TokenPrefix)
	now := s.cfg.Now()
	if err := s.store.TokenCreate(ctx, store.TokenCreateParams{
		Hash: HashSecret(tok), OrgID: c.OrgID, ClientID: c.ID, Scopes: scopes,
		ExpiresAt: now.Add(s.cfg.TokenTTL), CreatedAt: now,
	}); err != nil {
		return Token{}, unavailable(err)
	}
	return Token{AccessToken: tok, ExpiresIn: int(s.cfg.TokenTTL / time.Second), Scopes: scopes, OrgID: c.OrgID, ClientID: c.ID}, nil
}

func unavailable(err error) error {
	return &call.Error{Code: call.CodeUnavailable, Message: "storage is unavailable, try again later", Err: err}
}
