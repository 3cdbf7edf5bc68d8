package storesql

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/store"
)

// SFTPQueries are a dialect's query texts for the hosted SFTP server's
// accounts. Column list:
//
//	sftp account: id, org_id, username, password_hash, authorized_keys, campaign_ids, disabled, created_at
type SFTPQueries struct {
	// AccountInsert: the sftp account columns in order (campaign_ids as JSON text).
	AccountInsert        string
	AccountGetByUsername string // username → sftp account
	AccountGet           string // org_id, id → sftp account
	AccountList          string // org_id → sftp accounts by username
	// AccountUpdate: password_hash, authorized_keys, campaign_ids (JSON
	// text), disabled (NULL keeps the column), org_id, id → sftp account (RETURNING).
	AccountUpdate string
	AccountDelete string // org_id, id

	// ReceiptInsert: id, org_id, campaign_id, file_name, call_id, status, reason, created_at.
	ReceiptInsert string
	// ReceiptList: org_id, campaign_id, since, until, limit → receipts
	// (the ReceiptInsert columns) oldest first.
	ReceiptList string
}

var (
	_ store.SFTPAccounts = (*Store)(nil)
	_ store.SFTPReceipts = (*Store)(nil)
)

// sftp returns the dialect's SFTP queries.
func (q *queries) sftp() (*SFTPQueries, error) {
	if q.d.SFTP == nil {
		return nil, fmt.Errorf("sftp accounts: %s dialect has no queries", q.d.Name)
	}
	return q.d.SFTP, nil
}

// SFTPAccountCreate inserts an account; the username is kept in lower case.
// It returns ErrAlreadyExists if the username or id is taken, ErrNotFound if
// the organisation does not exist.
func (q *queries) SFTPAccountCreate(ctx context.Context, p store.SFTPAccountCreateParams) (store.SFTPAccount, error) {
	sq, err := q.sftp()
	if err != nil {
		return store.SFTPAccount{}, err
	}
	a := store.SFTPAccount{
		ID: p.ID, OrgID: p.OrgID, Username: strings.ToLower(strings.TrimSpace(p.Username)),
		PasswordHash: p.PasswordHash, AuthorizedKeys: p.AuthorizedKeys,
		CampaignIDs: slices.Clone(p.CampaignIDs), CreatedAt: now(),
	}
	if a.ID == "" {
		a.ID = call.NewID()
	}
	if len(a.CampaignIDs) == 0 {
		a.CampaignIDs = nil
	}
	ids, err := encodeIDs(a.CampaignIDs)
	if err != nil {
		return store.SFTPAccount{}, fmt.Errorf("create sftp account: %w", err)
	}
	err = q.insert(ctx, sq.AccountInsert, "create sftp account "+a.ID,
		a.ID, a.OrgID, a.Username, a.PasswordHash, a.AuthorizedKeys, ids, a.Disabled, q.time(a.CreatedAt))
	if err != nil {
		return store.SFTPAccount{}, err
	}
	return a, nil
}

// SFTPAccountGetByUsername looks the username up, in any case, across organisations.
func (q *queries) SFTPAccountGetByUsername(ctx context.Context, username string) (store.SFTPAccount, error) {
	sq, err := q.sftp()
	if err != nil {
		return store.SFTPAccount{}, err
	}
	a, err := scanSFTPAccount(q.ex.QueryRowContext(ctx, sq.AccountGetByUsername, strings.ToLower(strings.TrimSpace(username))))
	if err != nil {
		return store.SFTPAccount{}, q.fail(err, "get sftp account by username")
	}
	return a, nil
}

// SFTPAccountGet returns ErrNotFound if the organisation has no such account.
func (q *queries) SFTPAccountGet(ctx context.Context, orgID, id string) (store.SFTPAccount, error) {
	sq, err := q.sftp()
	if err != nil {
		return store.SFTPAccount{}, err
	}
	a, err := scanSFTPAccount(q.ex.QueryRowContext(ctx, sq.AccountGet, orgID, id))
	if err != nil {
		return store.SFTPAccount{}, q.fail(err, "get sftp account %s", id)
	}
	return a, nil
}

// SFTPAccountList returns the organisation's accounts by username.
func (q *queries) SFTPAccountList(ctx context.Context, orgID string) ([]store.SFTPAccount, error) {
	sq, err := q.sftp()
	if err != nil {
		return nil, err
	}
	return list(ctx, q, scanSFTPAccount, "list sftp accounts", sq.AccountList, orgID)
}

// SFTPAccountUpdate changes the non-nil fields; ErrNotFound if the
// organisation has no such account.
func (q *queries) SFTPAccountUpdate(ctx context.Context, p store.SFTPAccountUpdateParams) (store.SFTPAccount, error) {
	sq, err := q.sftp()
	if err != nil {
		return store.SFTPAccount{}, err
	}
	var ids, disabled any
	if p.CampaignIDs != nil {
		s, err := encodeIDs(*p.CampaignIDs)
		if err != nil {
			return store.SFTPAccount{}, fmt.Errorf("update sftp account %s: %w", p.ID, err)
		}
		ids = s
	}
	if p.Disabled != nil {
		disabled = *p.Disabled
	}
	a, err := scanSFTPAccount(q.ex.QueryRowContext(ctx, sq.AccountUpdate,
		strPtr(p.PasswordHash), strPtr(p.AuthorizedKeys), ids, disabled, p.OrgID, p.ID))
	if err != nil {
		return store.SFTPAccount{}, q.fail(err, "update sftp account %s", p.ID)
	}
	return a, nil
}

// SFTPAccountDelete removes the account; a missing one is not an error.
func (q *queries) SFTPAccountDelete(ctx context.Context, orgID, id string) error {
	sq, err := q.sftp()
	if err != nil {
		return err
	}
	if _, err := q.ex.ExecContext(ctx, sq.AccountDelete, orgID, id); err != nil {
		return q.fail(err, "delete sftp account %s", id)
	}
	return nil
}

func scanSFTPAccount(r scanner) (store.SFTPAccount, error) {
	var a store.SFTPAccount
	err := r.Scan(&a.ID, &a.OrgID, &a.Username, &a.PasswordHash, &a.AuthorizedKeys, jsonCol{&a.CampaignIDs},
		&a.Disabled, timeCol{&a.CreatedAt})
	if len(a.CampaignIDs) == 0 {
		a.CampaignIDs = nil
	}
	return a, err
}

// encodeIDs returns ids as a JSON array ("[]" when empty).
func encodeIDs(ids []string) (string, error) {
	if len(ids) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal(ids)
	if err != nil {
		return "", fmt.Errorf("encode ids: %w", err)
	}
	return string(b), nil
}

// SFTPReceiptCreate records a receipt; ErrNotFound if the organisation does not exist.
func (q *queries) SFTPReceiptCreate(ctx context.Context, p store.SFTPReceiptCreateParams) (store.SFTPReceipt, error) {
	sq, err := q.sftp()
	if err != nil {
		return store.SFTPReceipt{}, err
	}
	r := store.SFTPReceipt{ID: p.ID, OrgID: p.OrgID, CampaignID: p.CampaignID, FileName: p.FileName,
		CallID: p.CallID, Status: p.Status, Reason: p.Reason, CreatedAt: now()}
	if r.ID == "" {
		r.ID = call.NewID()
	}
	// A receipt needs no synced commit of its own: it records an outcome
	// that was already made durable (the call) or needs none (a refusal),
	// and the next synced commit carries it.
	err = q.insert(lazy(ctx), sq.ReceiptInsert, "create sftp receipt",
		r.ID, r.OrgID, r.CampaignID, r.FileName, r.CallID, r.Status, r.Reason, q.time(r.CreatedAt))
	if err != nil {
		return store.SFTPReceipt{}, err
	}
	return r, nil
}

// SFTPReceiptList returns a campaign's receipts in [Since, Until), oldest first.
func (q *queries) SFTPReceiptList(ctx context.Context, p store.SFTPReceiptListParams) ([]store.SFTPReceipt, error) {
	sq, err := q.sftp()
	if err != nil {
		return nil, err
	}
	if p.Limit <= 0 {
		p.Limit = 10000
	}
	return list(ctx, q, scanSFTPReceipt, "list sftp receipts", sq.ReceiptList,
		p.OrgID, p.CampaignID, q.time(p.Since), q.time(p.Until), p.Limit)
}

func scanSFTPReceipt(r scanner) (store.SFTPReceipt, error) {
	var x store.SFTPReceipt
	err := r.Scan(&x.ID, &x.OrgID, &x.CampaignID, &x.FileName, &x.CallID, &x.Status, &x.Reason, timeCol{&x.CreatedAt})
	return x, err
}
