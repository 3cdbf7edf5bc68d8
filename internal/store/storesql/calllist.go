package storesql

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/store"
)

// CallList returns up to p.Limit of the organisation's calls matching the
// filters, newest (largest id) first, and the cursor of the next page, ""
// after the last one. Paging is by keyset on id, so it costs the same on
// every page. A cursor that this method did not return answers an error
// wrapping store.ErrInvalidCursor.
func (q *queries) CallList(ctx context.Context, p store.CallListParams) ([]call.Call, string, error) {
	query, args, limit, err := q.callListQuery(p)
	if err != nil {
		return nil, "", err
	}
	calls, err := list(ctx, q, scanCall, "list calls", query, args...)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(calls) > limit {
		calls = calls[:limit]
		next = EncodeCursor(calls[limit-1].ID)
	}
	return calls, next, nil
}

// CallListQuery returns the query and arguments CallList runs for p, so
// that backends' tests can check its plan.
func (s *Store) CallListQuery(p store.CallListParams) (string, []any, error) {
	query, args, _, err := s.callListQuery(p)
	return query, args, err
}

// callListQuery builds the query of CallList: one more row than the limit
// tells whether there is a next page.
func (q *queries) callListQuery(p store.CallListParams) (query string, args []any, limit int, err error) {
	limit = p.Limit
	if limit <= 0 {
		limit = store.DefaultCallListLimit
	}
	limit = min(limit, store.MaxCallListLimit)

	var where []string
	add := func(cond string, arg any) {
		args = append(args, arg)
		where = append(where, fmt.Sprintf(cond, q.d.Placeholder(len(args))))
	}
	add("org_id = %s", p.OrgID)
	if p.CampaignID != "" {
		add("campaign_id = %s", p.CampaignID)
	}
	if p.Status != "" {
		add("status = %s", string(p.Status))
	}
	if p.Source != "" {
		add("source = %s", string(p.Source))
	}
	if p.AgentEmail != "" {
		add("agent_email = %s", p.AgentEmail)
	}
	if p.ExternalID != "" {
		add("external_id = %s", p.ExternalID)
		where = append(where, "external_id <> ''") // lets the partial unique index serve
	}
	if p.CreatedAfter != nil {
		add("created_at >= %s", q.time(*p.CreatedAfter))
	}
	if p.CreatedBefore != nil {
		add("created_at < %s", q.time(*p.CreatedBefore))
	}
	if p.Cursor != "" {
		after, err := DecodeCursor(p.Cursor)
		if err != nil {
			return "", nil, 0, err
		}
		add("id < %s", after)
	}
	args = append(args, limit+1)
	query = q.q.CallListSelect + " WHERE " + strings.Join(where, " AND ") +
		" ORDER BY id DESC LIMIT " + q.d.Placeholder(len(args))
	return query, args, limit, nil
}

// EncodeCursor returns the opaque cursor of the page after the call id.
func EncodeCursor(id string) string { return base64.RawURLEncoding.EncodeToString([]byte(id)) }

// DecodeCursor returns the call id in cursor, or an error wrapping
// store.ErrInvalidCursor when cursor was not made by EncodeCursor.
func DecodeCursor(cursor string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return "", fmt.Errorf("decode cursor: %w", store.ErrInvalidCursor)
	}
	id, err := uuid.Parse(string(b))
	if err != nil || id.String() != string(b) {
		return "", fmt.Errorf("decode cursor: %w", store.ErrInvalidCursor)
	}
	return string(b), nil
}
