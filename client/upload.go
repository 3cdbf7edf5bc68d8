package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"time"
)

// Upload is one recording and its envelope.
type Upload struct {
	CampaignID       string
	FileName         string
	Body             io.Reader
	ConversationTime time.Time // zero: not sent
	AgentEmail       string
	ExternalID       string
	Metadata         []MetaPair
}

// UploadResult is the call an upload ended as.
type UploadResult struct {
	Call
	// Created is true for 201 (a new call), false for 200 (a duplicate).
	Created bool
}

// UploadCall sends one recording as multipart/form-data to
// POST /v1/calls/audio, streaming Body through a pipe.
func (c *Client) UploadCall(ctx context.Context, u Upload) (*UploadResult, error) {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		pw.CloseWithError(writeForm(mw, u))
	}()
	var out UploadResult
	status, err := c.do(ctx, http.MethodPost, "/v1/calls/audio", pr, mw.FormDataContentType(), &out.Call)
	_ = pr.Close()
	if err != nil {
		return nil, err
	}
	out.Created = status == http.StatusCreated
	return &out, nil
}

func writeForm(mw *multipart.Writer, u Upload) error {
	fields := [][2]string{{"campaign_id", u.CampaignID}}
	if !u.ConversationTime.IsZero() {
		fields = append(fields, [2]string{"conversation_timestamp", strconv.FormatInt(u.ConversationTime.Unix(), 10)})
	}
	if u.AgentEmail != "" {
		fields = append(fields, [2]string{"agent_email", u.AgentEmail})
	}
	if u.ExternalID != "" {
		fields = append(fields, [2]string{"external_id", u.ExternalID})
	}
	if len(u.Metadata) > 0 {
		b, err := json.Marshal(u.Metadata)
		if err != nil {
			return fmt.Errorf("encode metadata: %w", err)
		}
		fields = append(fields, [2]string{"metadata", string(b)})
	}
	for _, f := range fields {
		if err := mw.WriteField(f[0], f[1]); err != nil {
			return fmt.Errorf("write field %s: %w", f[0], err)
		}
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename="%s"`, escapeQuotes(u.FileName)))
	h.Set("Content-Type", "application/octet-stream")
	w, err := mw.CreatePart(h)
	if err != nil {
		return fmt.Errorf("create file part: %w", err)
	}
	if _, err := io.Copy(w, u.Body); err != nil {
		return fmt.Errorf("send file: %w", err)
	}
	return mw.Close()
}

func escapeQuotes(s string) string {
	return strings.NewReplacer("\\", "\\\\", `"`, "\\\"").Replace(s)
}
