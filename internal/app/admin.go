package app

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/callimport/callimport/internal/auth"
	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/config"
	"github.com/callimport/callimport/internal/store"
)

const adminUsage = `Usage: callimport admin <object> <verb> [flags] [--json]

  org create --name N                 org list
  user create --org ORG --email E --role admin|member --password-stdin
  campaign create --org ORG --name N  campaign list --org ORG
  apikey create --org ORG --name N [--scope S ...]
  oauth-client create --org ORG --name N [--scope S ...]
  sftp-user create --org ORG --username U [--password-stdin] [--authorized-key FILE] [--campaign C ...]
  pull-source create --campaign C --host H --username U --fingerprint SHA256:... [...]   pull-source list
  rotate-secret-key [--old-key-file F ...] [--new-key-file F]   (re-encrypts connector secrets)

ORG is an organisation id or name. Storage flags (--data-dir, --database,
--blob-url) are those of serve; the commands work while serve runs.
`

// adminCmd is one admin command: its flags and what it does.
type adminCmd struct {
	fs      *flag.FlagSet
	storage config.Storage
	json    bool
	org     string
	name    string
	email   string
	role    string
	pwStdin bool
	scopes  stringList
	// SFTP accounts
	username, authKey string
	campaigns         stringList
}

func runAdmin(ctx context.Context, args []string, io IO) error {
	if len(args) > 0 && args[0] == "rotate-secret-key" {
		return runRotateSecretKey(ctx, args[1:], io)
	}
	if len(args) > 0 && args[0] == "pull-source" {
		return runPullSourceAdmin(ctx, args[1:], io)
	}
	if len(args) < 2 {
		fmt.Fprint(io.Stderr, adminUsage)
		return fmt.Errorf("%w: admin needs an object and a verb", ErrUsage)
	}
	obj, verb := args[0], args[1]
	c := &adminCmd{fs: flag.NewFlagSet("admin "+obj+" "+verb, flag.ContinueOnError)}
	c.fs.SetOutput(io.Stderr)
	f := &config.Flags{FS: c.fs, Getenv: io.Getenv}
	config.BindStorage(f, &c.storage)
	c.fs.BoolVar(&c.json, "json", false, "print JSON")
	c.fs.StringVar(&c.org, "org", "", "organisation id or name")
	c.fs.StringVar(&c.name, "name", "", "name")
	c.fs.StringVar(&c.email, "email", "", "e-mail address")
	c.fs.StringVar(&c.role, "role", "member", "admin or member")
	c.fs.BoolVar(&c.pwStdin, "password-stdin", false, "read the password from standard input")
	c.fs.Var(&c.scopes, "scope", "scope: calls:write, calls:read or admin (repeatable)")
	c.fs.StringVar(&c.username, "username", "", "SFTP username")
	c.fs.StringVar(&c.authKey, "authorized-key", "", "file of OpenSSH authorized_keys lines")
	c.fs.Var(&c.campaigns, "campaign", "campaign id or name the SFTP account may import into (repeatable; default: all)")
	if err := c.fs.Parse(args[2:]); err != nil {
		return usageErr(err)
	}
	if err := f.Err(); err != nil {
		return fmt.Errorf("%w: %w", ErrUsage, err)
	}
	if err := c.storage.Resolve(); err != nil {
		return fmt.Errorf("%w: %w", ErrUsage, err)
	}
	st, err := openStore(ctx, c.storage)
	if err != nil {
		return err
	}
	defer st.Close()
	out, err := c.do(ctx, st, obj+" "+verb, io)
	recordAdmin(ctx, st, obj, verb, out, err, io.Stderr)
	if err != nil {
		return err
	}
	return c.print(io, out)
}

// do runs the command and returns what to print.
func (c *adminCmd) do(ctx context.Context, st store.Store, what string, io IO) (any, error) {
	authn := auth.New(st, auth.Config{})
	need := func(flags ...string) error {
		for _, fl := range flags {
			if c.fs.Lookup(fl).Value.String() == "" {
				return fmt.Errorf("%w: --%s is required", ErrUsage, fl)
			}
		}
		return nil
	}
	switch what {
	case "org create":
		if err := need("name"); err != nil {
			return nil, err
		}
		o, err := st.OrgCreate(ctx, store.OrgCreateParams{Name: c.name})
		if err != nil {
			return nil, fmt.Errorf("create organisation: %w", err)
		}
		return orgOut{ID: o.ID, Name: o.Name}, nil
	case "org list":
		orgs, err := st.OrgList(ctx)
		if err != nil {
			return nil, fmt.Errorf("list organisations: %w", err)
		}
		out := []orgOut{}
		for _, o := range orgs {
			out = append(out, orgOut{ID: o.ID, Name: o.Name})
		}
		return out, nil
	}
	if err := need("org"); err != nil {
		return nil, err
	}
	org, err := findOrg(ctx, st, c.org)
	if err != nil {
		return nil, err
	}
	switch what {
	case "sftp-user create":
		if err := need("username"); err != nil {
			return nil, err
		}
		return adminSFTPUserCreate(ctx, st, org, sftpUserArgs{Username: c.username, PasswordStdin: c.pwStdin,
			AuthorizedKeyFile: c.authKey, Campaigns: c.campaigns}, io.Stdin)
	case "user create":
		if err := need("email"); err != nil {
			return nil, err
		}
		return c.userCreate(ctx, st, org, io)
	case "campaign create":
		if err := need("name"); err != nil {
			return nil, err
		}
		camp, err := st.CampaignCreate(ctx, store.CampaignCreateParams{OrgID: org.ID, Name: c.name})
		if err != nil {
			return nil, fmt.Errorf("create campaign: %w", err)
		}
		return campaignOut{ID: camp.ID, OrgID: org.ID, Name: camp.Name}, nil
	case "campaign list":
		cs, err := st.CampaignList(ctx, org.ID)
		if err != nil {
			return nil, fmt.Errorf("list campaigns: %w", err)
		}
		out := []campaignOut{}
		for _, camp := range cs {
			out = append(out, campaignOut{ID: camp.ID, OrgID: org.ID, Name: camp.Name})
		}
		return out, nil
	case "apikey create", "oauth-client create":
		if err := need("name"); err != nil {
			return nil, err
		}
		scopes, err := auth.ParseScopes(c.scopes)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrUsage, err)
		}
		if what == "apikey create" {
			k, secret, err := authn.CreateAPIKey(ctx, org.ID, c.name, scopes)
			if err != nil {
				return nil, err
			}
			return apiKeyOut{ID: k.ID, OrgID: org.ID, Name: k.Name, Scopes: scopes, Key: secret}, nil
		}
		cl, secret, err := authn.CreateOAuthClient(ctx, org.ID, c.name, scopes)
		if err != nil {
			return nil, err
		}
		return oauthClientOut{ID: cl.ID, OrgID: org.ID, Name: cl.Name, Scopes: scopes, ClientID: cl.ClientID, ClientSecret: secret}, nil
	}
	return nil, fmt.Errorf("%w: unknown admin command %q\n%s", ErrUsage, what, adminUsage)
}

func (c *adminCmd) userCreate(ctx context.Context, st store.Store, org call.Org, io IO) (any, error) {
	role := store.Role(c.role)
	if role != store.RoleAdmin && role != store.RoleMember {
		return nil, fmt.Errorf("%w: --role must be admin or member", ErrUsage)
	}
	if reason := call.CheckEmail(c.email); reason != "" {
		return nil, fmt.Errorf("%w: --email %s", ErrUsage, reason)
	}
	password, generated := "", false
	if c.pwStdin {
		line, err := bufio.NewReader(io.Stdin).ReadString('\n')
		if err != nil && line == "" {
			return nil, fmt.Errorf("%w: no password on standard input", ErrUsage)
		}
		password = strings.TrimRight(line, "\r\n")
		if len(password) < 12 {
			return nil, fmt.Errorf("%w: the password must have at least 12 characters", ErrUsage)
		}
	} else {
		password, generated = auth.NewPassword(), true
	}
	u, err := st.UserCreate(ctx, store.UserCreateParams{OrgID: org.ID, Email: strings.ToLower(c.email), Role: role,
		PasswordHash: auth.HashPassword(password)})
	if err != nil {
		return nil, fmt.Errorf("create user: %w", err)
	}
	out := userOut{ID: u.ID, OrgID: org.ID, Email: u.Email, Role: string(u.Role)}
	if generated {
		out.Password = password
	}
	return out, nil
}

// findOrg looks an organisation up by id, then by name.
func findOrg(ctx context.Context, st store.Store, ref string) (call.Org, error) {
	o, err := st.OrgGet(ctx, ref)
	if errors.Is(err, store.ErrNotFound) {
		o, err = st.OrgGetByName(ctx, ref)
	}
	if errors.Is(err, store.ErrNotFound) {
		return call.Org{}, fmt.Errorf("no organisation with id or name %q", ref)
	}
	if err != nil {
		return call.Org{}, fmt.Errorf("find organisation: %w", err)
	}
	return o, nil
}

type orgOut struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type campaignOut struct {
	ID    string `json:"id"`
	OrgID string `json:"org_id"`
	Name  string `json:"name"`
}

type userOut struct {
	ID       string `json:"id"`
	OrgID    string `json:"org_id"`
	Email    string `json:"email"`
	Role     string `json:"role"`
	Password string `json:"password,omitempty"`
}

type apiKeyOut struct {
	ID     string        `json:"id"`
	OrgID  string        `json:"org_id"`
	Name   string        `json:"name"`
	Scopes []store.Scope `json:"scopes"`
	Key    string        `json:"key"`
}

type oauthClientOut struct {
	ID           string        `json:"id"`
	OrgID        string        `json:"org_id"`
	Name         string        `json:"name"`
	Scopes       []store.Scope `json:"scopes"`
	ClientID     string        `json:"client_id"`
	ClientSecret string        `json:"client_secret"`
}

func (c *adminCmd) print(io IO, v any) error {
	if c.json {
		enc := json.NewEncoder(io.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	tw := tabwriter.NewWriter(io.Stdout, 0, 4, 2, ' ', 0)
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("print: %w", err)
	}
	var rows []map[string]any
	if err := json.Unmarshal(b, &rows); err != nil {
		var one map[string]any
		if err := json.Unmarshal(b, &one); err != nil {
			return fmt.Errorf("print: %w", err)
		}
		for k, val := range one {
			fmt.Fprintf(tw, "%s\t%v\n", k, val)
		}
		return tw.Flush()
	}
	for _, r := range rows {
		fmt.Fprintf(tw, "%v\t%v\n", r["id"], r["name"])
	}
	return tw.Flush()
}
