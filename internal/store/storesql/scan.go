package storesql

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/store"
)

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// timeCol scans a NOT NULL time column.
type timeCol struct{ t *time.Time }

func (c timeCol) Scan(src any) error {
	t, err := parseTime(src)
	if err != nil {
		return err
	}
	*c.t = t
	return nil
}

// nullTimeCol scans a nullable time column into a *time.Time.
type nullTimeCol struct{ t **time.Time }

func (c nullTimeCol) Scan(src any) error {
	if src == nil {
		*c.t = nil
		return nil
	}
	t, err := parseTime(src)
	if err != nil {
		return err
	}
	*c.t = &t
	return nil
}

func parseTime(src any) (time.Time, error) {
	switch v := src.(type) {
	case time.Time:
		return Norm(v), nil
	case string:
		return parseTimeText(v)
	case []byte:
		return parseTimeText(string(v))
	}
	return time.Time{}, fmt.Errorf("scan time: unexpected %T", src)
}

func parseTimeText(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("scan time: %w", err)
	}
	return Norm(t), nil
}

// jsonCol scans a JSON column into v (nil pointers for an empty array).
type jsonCol struct{ v any }

func (c jsonCol) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case nil:
		return nil
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		return fmt.Errorf("scan json: unexpected %T", src)
	}
	if err := json.Unmarshal(b, c.v); err != nil {
		return fmt.Errorf("scan json: %w", err)
	}
	return nil
}

// encodeMetadata returns pairs as a JSON array ("[]" when empty).
func encodeMetadata(pairs []call.MetaPair) (string, error) {
	if len(pairs) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal(pairs)
	if err != nil {
		return "", fmt.Errorf("encode metadata: %w", err)
	}
	return string(b), nil
}

// encodeScopes returns scopes as a JSON array ("[]" when empty).
func encodeScopes(scopes []store.Scope) (string, error) {
	if len(scopes) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal(scopes)
	if err != nil {
		return "", fmt.Errorf("encode scopes: %w", err)
	}
	return string(b), nil
}

func scanOrg(r scanner) (call.Org, error) {
	var o call.Org
	err := r.Scan(&o.ID, &o.Name, timeCol{&o.CreatedAt})
	return o, err
}

func scanCampaign(r scanner) (call.Campaign, error) {
	var c call.Campaign
	err := r.Scan(&c.ID, &c.OrgID, &c.Name, &c.Description, &c.RequireMetadata, &c.RetentionDays,
		timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt}, &c.MinDurationSeconds, &c.MaxDurationSeconds, &c.RequiredChannels)
	return c, err
}

func scanCall(r scanner) (call.Call, error) {
	var (
		c        call.Call
		format   sql.NullString
		codec    sql.NullString
		duration sql.NullFloat64
		rate     sql.NullInt64
		channels sql.NullInt64
		bits     sql.NullInt64
		bitRate  sql.NullInt64
		silent   sql.NullBool
	)
	err := r.Scan(&c.ID, &c.OrgID, &c.CampaignID, &c.Status, &c.Source, &c.FileName, &c.SizeBytes,
		&c.SHA256, &c.Format, &c.BlobKey, nullTimeCol{&c.ConversationTime}, &c.AgentEmail,
		&c.ExternalID, jsonCol{&c.Metadata},
		&format, &codec, &duration, &rate, &channels, &bits, &bitRate, &silent,
		&c.RejectionReason, timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt}, nullTimeCol{&c.ImportedAt})
	if err != nil {
		return call.Call{}, err
	}
	if len(c.Metadata) == 0 {
		c.Metadata = nil
	}
	if format.Valid {
		c.Audio = &call.AudioInfo{
			Format:          format.String,
			Codec:           codec.String,
			DurationSeconds: duration.Float64,
			SampleRateHz:    int(rate.Int64),
			Channels:        int(channels.Int64),
			BitsPerSample:   int(bits.Int64),
			BitRate:         int(bitRate.Int64),
			Silent:          silent.Bool,
		}
	}
	return c, nil
}

func scanIntake(r scanner) (store.Intake, error) {
	var i store.Intake
	err := r.Scan(&i.BlobKey, timeCol{&i.CreatedAt})
	return i, err
}

func scanUser(r scanner) (store.User, error) {
	var u store.User
	err := r.Scan(&u.ID, &u.OrgID, &u.Email, &u.Role, &u.PasswordHash, &u.Disabled, timeCol{&u.CreatedAt})
	return u, err
}

func scanAPIKey(r scanner) (store.APIKey, error) {
	var k store.APIKey
	err := r.Scan(&k.ID, &k.OrgID, &k.Name, &k.Prefix, &k.Hash, jsonCol{&k.Scopes},
		timeCol{&k.CreatedAt}, nullTimeCol{&k.RevokedAt})
	if len(k.Scopes) == 0 {
		k.Scopes = nil
	}
	return k, err
}

func scanOAuthClient(r scanner) (store.OAuthClient, error) {
	var c store.OAuthClient
	err := r.Scan(&c.ID, &c.OrgID, &c.Name, &c.ClientID, &c.SecretHash, jsonCol{&c.Scopes},
		timeCol{&c.CreatedAt}, nullTimeCol{&c.RevokedAt})
	if len(c.Scopes) == 0 {
		c.Scopes = nil
	}
	return c, err
}

func scanToken(r scanner) (store.Token, error) {
	var t store.Token
	err := r.Scan(&t.Hash, &t.OrgID, &t.ClientID, jsonCol{&t.Scopes}, timeCol{&t.ExpiresAt})
	if len(t.Scopes) == 0 {
		t.Scopes = nil
	}
	return t, err
}

// list runs query and scans every row with scan.
func list[T any](ctx context.Context, q *queries, scan func(scanner) (T, error), op, query string, args ...any) ([]T, error) {
	rows, err := q.ex.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, q.fail(err, "%s", op)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, q.fail(err, "%s", op)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, q.fail(err, "%s", op)
	}
	return out, nil
}
