package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/callimport/callimport/internal/auth"
	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/store"
)

// Bootstrap is what the first start created.
type Bootstrap struct {
	Org          call.Org
	Campaign     call.Campaign
	AdminEmail   string
	PasswordNote string
	APIKey       string
}

// Names used by the first start.
const (
	bootstrapOrgName      = "My organisation"
	bootstrapAdminEmail   = "admin@example.com"
	bootstrapCampaignName = "Demo campaign"
)

// bootstrap creates an organisation, its admin, a demo campaign and an API
// key when the store holds no organisation. It returns nil when there was
// nothing to do (including when another process did it at the same time).
func bootstrap(ctx context.Context, st store.Store, authn *auth.Service, adminPassword string) (*Bootstrap, error) {
	orgs, err := st.OrgList(ctx)
	if err != nil {
		return nil, fmt.Errorf("list organisations: %w", err)
	}
	if len(orgs) > 0 {
		return nil, nil //nolint:nilnil // nothing to bootstrap is not an error
	}
	org, err := st.OrgCreate(ctx, store.OrgCreateParams{Name: bootstrapOrgName})
	if errors.Is(err, store.ErrAlreadyExists) {
		return nil, nil //nolint:nilnil // another process bootstrapped
	}
	if err != nil {
		return nil, fmt.Errorf("create organisation: %w", err)
	}
	b := &Bootstrap{Org: org, AdminEmail: bootstrapAdminEmail, PasswordNote: "(from CALLIMPORT_ADMIN_PASSWORD)"}
	password := adminPassword
	if password == "" {
		password = auth.NewPassword()
		b.PasswordNote = password + "   (generated; shown once)"
	}
	if _, err := st.UserCreate(ctx, store.UserCreateParams{
		OrgID: org.ID, Email: bootstrapAdminEmail, Role: store.RoleAdmin, PasswordHash: auth.HashPassword(password),
	}); err != nil {
		return nil, fmt.Errorf("create admin user: %w", err)
	}
	b.Campaign, err = st.CampaignCreate(ctx, store.CampaignCreateParams{OrgID: org.ID, Name: bootstrapCampaignName,
		Description: "Created on first start; try an import here."})
	if err != nil {
		return nil, fmt.Errorf("create demo campaign: %w", err)
	}
	_, b.APIKey, err = authn.CreateAPIKey(ctx, org.ID, "first-start key",
		[]store.Scope{store.ScopeCallsWrite, store.ScopeCallsRead, store.ScopeAdmin})
	if err != nil {
		return nil, fmt.Errorf("create api key: %w", err)
	}
	return b, nil
}
