package connectors

import (
	"context"
	"errors"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/callimport/callimport/internal/auth"
	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/store"
)

// Account is an SFTP account as shown to administrators: no password, not
// even its hash.
type Account struct {
	ID          string    `json:"id"`
	Username    string    `json:"username"`
	HasPassword bool      `json:"has_password"`
	PublicKeys  []string  `json:"public_keys"`
	CampaignIDs []string  `json:"campaign_ids"`
	Disabled    bool      `json:"disabled"`
	CreatedAt   time.Time `json:"created_at"`
}

// AccountInput creates or changes an account; nil fields are unchanged
// (on create: absent). Password "" removes password login.
type AccountInput struct {
	Username    *string   `json:"username"`
	Password    *string   `json:"password"`
	PublicKeys  *[]string `json:"public_keys"`
	CampaignIDs *[]string `json:"campaign_ids"`
	Disabled    *bool     `json:"disabled"`
}

func toAccount(a store.SFTPAccount) Account {
	out := Account{ID: a.ID, Username: a.Username, HasPassword: a.PasswordHash != "", PublicKeys: []string{},
		CampaignIDs: a.CampaignIDs, Disabled: a.Disabled, CreatedAt: a.CreatedAt.UTC()}
	for _, l := range strings.Split(a.AuthorizedKeys, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out.PublicKeys = append(out.PublicKeys, l)
		}
	}
	if out.CampaignIDs == nil {
		out.CampaignIDs = []string{}
	}
	return out
}

// checkAccount validates in and returns the authorized_keys text and the
// password hash to store (nil: unchanged).
func (m *Manager) checkAccount(ctx context.Context, orgID string, in *AccountInput, create bool) (keys, hash *string, err error) {
	var fields []call.FieldError
	if in.Username != nil {
		u := strings.ToLower(strings.TrimSpace(*in.Username))
		if u == "" || strings.ContainsAny(u, " \t\r\n@:/\\") || len(u) > 64 {
			fields = append(fields, field("username", "must be 1 to 64 characters without spaces, @, :, / or \\"))
		}
		*in.Username = u
	} else if create {
		fields = append(fields, field("username", "is required"))
	}
	if in.Password != nil {
		if *in.Password != "" && (len(*in.Password) < 12 || len(*in.Password) > 1024) {
			fields = append(fields, field("password", "must have 12 to 1024 characters (or be empty to remove it)"))
		} else {
			h := ""
			if *in.Password != "" {
				h = auth.HashPassword(*in.Password)
			}
			hash = &h
		}
	}
	if in.PublicKeys != nil {
		var lines []string
		for i, k := range *in.PublicKeys {
			if _, _, _, _, err := ssh.ParseAuthorizedKey([]byte(k)); err != nil || strings.ContainsAny(strings.TrimSpace(k), "\r\n") {
				fields = append(fields, field("public_keys", "item "+itoa(i)+" is not one OpenSSH public key line (ssh-ed25519 AAAA...)"))
				continue
			}
			lines = append(lines, strings.TrimSpace(k))
		}
		s := strings.Join(lines, "\n")
		if s != "" {
			s += "\n"
		}
		keys = &s
	}
	if create && (in.Password == nil || *in.Password == "") && (in.PublicKeys == nil || len(*in.PublicKeys) == 0) {
		fields = append(fields, field("password", "a password or public_keys is required"))
	}
	if in.CampaignIDs != nil {
		for _, id := range *in.CampaignIDs {
			if _, err := m.st.CampaignGet(ctx, orgID, id); err != nil {
				if !errors.Is(err, store.ErrNotFound) {
					return nil, nil, unavailable(err)
				}
				fields = append(fields, field("campaign_ids", "the organisation has no campaign "+quote(id)))
			}
		}
	}
	if len(fields) > 0 {
		return nil, nil, invalid("invalid SFTP account", fields...)
	}
	return keys, hash, nil
}

// CreateAccount creates an SFTP account of orgID.
func (m *Manager) CreateAccount(ctx context.Context, orgID string, in AccountInput) (Account, error) {
	keys, hash, err := m.checkAccount(ctx, orgID, &in, true)
	if err != nil {
		return Account{}, err
	}
	p := store.SFTPAccountCreateParams{OrgID: orgID, Username: *in.Username}
	if keys != nil {
		p.AuthorizedKeys = *keys
	}
	if hash != nil {
		p.PasswordHash = *hash
	}
	if in.CampaignIDs != nil {
		p.CampaignIDs = *in.CampaignIDs
	}
	a, err := m.st.SFTPAccountCreate(ctx, p)
	if errors.Is(err, store.ErrAlreadyExists) {
		return Account{}, &call.Error{Code: call.CodeConflict, Message: "this SFTP username is taken", Err: err}
	}
	if err != nil {
		return Account{}, unavailable(err)
	}
	if in.Disabled != nil && *in.Disabled {
		if a, err = m.st.SFTPAccountUpdate(ctx, store.SFTPAccountUpdateParams{OrgID: orgID, ID: a.ID, Disabled: in.Disabled}); err != nil {
			return Account{}, unavailable(err)
		}
	}
	return toAccount(a), nil
}

// ListAccounts returns the organisation's accounts by username.
func (m *Manager) ListAccounts(ctx context.Context, orgID string) ([]Account, error) {
	as, err := m.st.SFTPAccountList(ctx, orgID)
	if err != nil {
		return nil, unavailable(err)
	}
	out := make([]Account, 0, len(as))
	for _, a := range as {
		out = append(out, toAccount(a))
	}
	return out, nil
}

// GetAccount returns one account.
func (m *Manager) GetAccount(ctx context.Context, orgID, id string) (Account, error) {
	a, err := m.st.SFTPAccountGet(ctx, orgID, id)
	if err != nil {
		return Account{}, notFound("SFTP account", err)
	}
	return toAccount(a), nil
}

// UpdateAccount changes the non-nil fields (the username cannot change).
func (m *Manager) UpdateAccount(ctx context.Context, orgID, id string, in AccountInput) (Account, error) {
	cur, err := m.st.SFTPAccountGet(ctx, orgID, id)
	if err != nil {
		return Account{}, notFound("SFTP account", err)
	}
	if in.Username != nil && strings.ToLower(strings.TrimSpace(*in.Username)) != cur.Username {
		return Account{}, invalid("invalid SFTP account", field("username", "cannot change; create another account"))
	}
	in.Username = nil
	keys, hash, err := m.checkAccount(ctx, orgID, &in, false)
	if err != nil {
		return Account{}, err
	}
	hasPw := cur.PasswordHash != ""
	if hash != nil {
		hasPw = *hash != ""
	}
	hasKeys := strings.TrimSpace(cur.AuthorizedKeys) != ""
	if keys != nil {
		hasKeys = *keys != ""
	}
	if !hasPw && !hasKeys {
		return Account{}, invalid("invalid SFTP account", field("password", "the account would have neither a password nor a public key"))
	}
	a, err := m.st.SFTPAccountUpdate(ctx, store.SFTPAccountUpdateParams{OrgID: orgID, ID: id, PasswordHash: hash,
		AuthorizedKeys: keys, CampaignIDs: in.CampaignIDs, Disabled: in.Disabled})
	if err != nil {
		return Account{}, notFound("SFTP account", err)
	}
	return toAccount(a), nil
}

// DeleteAccount removes an account; ErrNotFound-coded for another
// organisation's or a missing one.
func (m *Manager) DeleteAccount(ctx context.Context, orgID, id string) error {
	if _, err := m.st.SFTPAccountGet(ctx, orgID, id); err != nil {
		return notFound("SFTP account", err)
	}
	if err := m.st.SFTPAccountDelete(ctx, orgID, id); err != nil {
		return unavailable(err)
	}
	return nil
}
