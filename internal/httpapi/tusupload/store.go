package tusupload

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"time"

	tusd "github.com/tus/tusd/v2/pkg/handler"

	"github.com/callimport/callimport/internal/audio"
	"github.com/callimport/callimport/internal/call"
)

// copyBufferSize is the buffer between the request body and the staged file;
// large, because each Write is a system call.
const copyBufferSize = 256 << 10

// record is what the staging folder keeps about one upload, in <id>.json.
type record struct {
	ID     string      `json:"id"`
	OrgID  string      `json:"org_id"`
	Source call.Source `json:"source"`
	Size   int64       `json:"size"`
	// MetaData is the client's Upload-Metadata, restricted to known keys.
	MetaData  map[string]string `json:"metadata"`
	CreatedAt time.Time         `json:"created_at"`
	// Outcome is set once the upload has been ingested or refused for good;
	// the bytes are gone by then.
	Outcome *outcome `json:"outcome,omitempty"`
}

// outcome is the end of an upload: a call, or a refusal.
type outcome struct {
	CallID    string    `json:"call_id,omitempty"`
	Duplicate bool      `json:"duplicate,omitempty"`
	Refusal   *refusal  `json:"refusal,omitempty"`
	At        time.Time `json:"at"`
}

// refusal is the client-safe part of a *call.Error.
type refusal struct {
	Code    call.Code         `json:"code"`
	Message string            `json:"message"`
	Fields  []call.FieldError `json:"fields,omitempty"`
}

// err returns the refusal as an error, or nil for a call.
func (o outcome) err() error {
	if o.Refusal == nil {
		return nil
	}
	return &call.Error{Code: o.Refusal.Code, Message: o.Refusal.Message, Fields: o.Refusal.Fields}
}

// staging is the tusd DataStore of the uploads in one folder.
type staging struct {
	root   *os.Root
	now    func() time.Time
	expiry time.Duration
}

var (
	_ tusd.DataStore           = (*staging)(nil)
	_ tusd.TerminaterDataStore = (*staging)(nil)
	_ tusd.Upload              = (*upload)(nil)
	_ tusd.TerminatableUpload  = (*upload)(nil)
)

func openStaging(dir string, now func() time.Time, expiry time.Duration) (*staging, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create upload folder: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open upload folder: %w", err)
	}
	return &staging{root: root, now: now, expiry: expiry}, nil
}

// newID returns an unguessable upload id: 32 lower-case hex digits.
func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// validID reports whether id has the shape newID gives, so that it can name
// files.
func validID(id string) bool {
	if len(id) != 32 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func recordName(id string) string { return id + ".json" }
func dataName(id string) string   { return id + ".bin" }

// errUnknown is returned for unknown, malformed and expired ids; it is
// tusd's not-found error, so tusd answers 404.
var errUnknown = tusd.ErrNotFound

// load returns the record of id and the bytes received so far. Expired
// uploads are unknown.
func (s *staging) load(id string) (record, int64, error) {
	rec, err := s.loadRecord(id)
	if err != nil {
		return record{}, 0, err
	}
	if s.expired(rec) {
		return record{}, 0, errUnknown
	}
	if rec.Outcome != nil {
		return rec, rec.Size, nil
	}
	fi, err := s.root.Stat(dataName(id))
	if errors.Is(err, fs.ErrNotExist) {
		return record{}, 0, errUnknown
	}
	if err != nil {
		return record{}, 0, fmt.Errorf("stat upload %s: %w", id, err)
	}
	return rec, fi.Size(), nil
}

func (s *staging) loadRecord(id string) (record, error) {
	if !validID(id) {
		return record{}, errUnknown
	}
	b, err := s.root.ReadFile(recordName(id))
	if errors.Is(err, fs.ErrNotExist) {
		return record{}, errUnknown
	}
	if err != nil {
		return record{}, fmt.Errorf("read upload %s: %w", id, err)
	}
	var rec record
	if err := json.Unmarshal(b, &rec); err != nil {
		return record{}, fmt.Errorf("decode upload %s: %w", id, err)
	}
	return rec, nil
}

func (s *staging) expired(rec record) bool {
	return s.now().Sub(rec.CreatedAt) > s.expiry
}

// save writes rec atomically: a temporary file, synced, then renamed.
func (s *staging) save(rec record) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode upload %s: %w", rec.ID, err)
	}
	tmp := recordName(rec.ID) + ".tmp"
	f, err := s.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("save upload %s: %w", rec.ID, err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = s.root.Rename(tmp, recordName(rec.ID))
	}
	if err != nil {
		_ = s.root.Remove(tmp)
		return fmt.Errorf("save upload %s: %w", rec.ID, err)
	}
	return nil
}

// remove deletes the bytes, then the record, of id; missing files are fine.
func (s *staging) remove(id string) error {
	for _, name := range []string{dataName(id), recordName(id)} {
		if err := s.root.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove upload %s: %w", id, err)
		}
	}
	return nil
}

// removeData deletes the bytes of id once its outcome is recorded.
func (s *staging) removeData(id string) error {
	if err := s.root.Remove(dataName(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove upload data %s: %w", id, err)
	}
	return nil
}

// openData opens the bytes of id for reading.
func (s *staging) openData(id string) (*os.File, error) {
	f, err := s.root.Open(dataName(id))
	if err != nil {
		return nil, fmt.Errorf("open upload data %s: %w", id, err)
	}
	return f, nil
}

// NewUpload creates the record and an empty data file. The caller's
// organisation comes from ctx (WithCaller), never from the client.
func (s *staging) NewUpload(ctx context.Context, info tusd.FileInfo) (tusd.Upload, error) {
	c, ok := callerFrom(ctx)
	if !ok {
		return nil, errors.New("new upload: no caller in context")
	}
	if info.ID == "" {
		info.ID = newID()
	}
	rec := record{ID: info.ID, OrgID: c.OrgID, Source: c.Source, Size: info.Size,
		MetaData: maps.Clone(info.MetaData), CreatedAt: s.now().UTC()}
	f, err := s.root.OpenFile(dataName(rec.ID), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create upload %s: %w", rec.ID, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("create upload %s: %w", rec.ID, err)
	}
	if err := s.save(rec); err != nil {
		_ = s.root.Remove(dataName(rec.ID))
		return nil, err
	}
	if st := stateFrom(ctx); st != nil {
		st.expires = rec.CreatedAt.Add(s.expiry)
	}
	return &upload{s: s, rec: rec}, nil
}

// GetUpload returns errUnknown for unknown and expired uploads.
func (s *staging) GetUpload(ctx context.Context, id string) (tusd.Upload, error) {
	rec, off, err := s.load(id)
	if err != nil {
		return nil, err
	}
	if st := stateFrom(ctx); st != nil && rec.Outcome == nil {
		st.expires = rec.CreatedAt.Add(s.expiry)
	}
	return &upload{s: s, rec: rec, offset: off}, nil
}

// AsTerminatableUpload implements tusd.TerminaterDataStore.
func (s *staging) AsTerminatableUpload(u tusd.Upload) tusd.TerminatableUpload {
	return u.(*upload)
}

// upload is one upload as tusd sees it, for the time of a request.
type upload struct {
	s      *staging
	rec    record
	offset int64
	// refused is set when WriteChunk refused the bytes and removed the upload.
	refused error
}

func (u *upload) GetInfo(context.Context) (tusd.FileInfo, error) {
	return tusd.FileInfo{ID: u.rec.ID, Size: u.rec.Size, Offset: u.offset,
		MetaData: maps.Clone(u.rec.MetaData)}, nil
}

// sniffLen is how many leading bytes decide whether the upload is audio.
func (u *upload) sniffLen() int64 { return min(audio.SniffSize, u.rec.Size) }

// WriteChunk appends src at offset (tusd checked it against the current
// size and bounds src). Once the first sniffLen bytes are in, non-audio is
// refused: the upload is removed and a 415 returned. The bytes are synced
// before it returns, so an acknowledged offset survives a crash.
func (u *upload) WriteChunk(ctx context.Context, offset int64, src io.Reader) (int64, error) {
	if st := stateFrom(ctx); st != nil && st.rel != nil {
		st.rel.startWriting()
	}
	f, err := u.s.root.OpenFile(dataName(u.rec.ID), os.O_RDWR|os.O_APPEND, 0)
	if err != nil {
		return 0, fmt.Errorf("open upload data %s: %w", u.rec.ID, err)
	}
	n, err := u.write(ctx, f, offset, src)
	u.offset = offset + n
	if u.refused != nil {
		_ = f.Close()
		if rerr := u.s.remove(u.rec.ID); rerr != nil {
			err = errors.Join(err, rerr)
		}
		return n, err
	}
	if serr := f.Sync(); err == nil && serr != nil {
		err = fmt.Errorf("sync upload data %s: %w", u.rec.ID, serr)
	}
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close upload data %s: %w", u.rec.ID, cerr)
	}
	return n, err
}

func (u *upload) write(ctx context.Context, f *os.File, offset int64, src io.Reader) (int64, error) {
	var n int64
	if head := u.sniffLen(); offset < head {
		k, err := io.CopyN(f, src, head-offset)
		n += k
		switch {
		case errors.Is(err, io.EOF):
			return n, nil // the body ended (or was cut) before the head
		case err != nil:
			return n, fmt.Errorf("write upload data %s: %w", u.rec.ID, err)
		}
		b := make([]byte, head)
		if _, err := f.ReadAt(b, 0); err != nil {
			return n, fmt.Errorf("read upload head %s: %w", u.rec.ID, err)
		}
		if audio.Sniff(b) == "" {
			u.refused = reject(ctx, &call.Error{Code: call.CodeNotAudio,
				Message: "the file is not a recording in a supported format (WAV, MP3, FLAC, Ogg, WebM, M4A)",
				Fields:  []call.FieldError{{Field: "file", Reason: "is not audio"}}})
			return n, u.refused
		}
	}
	k, err := io.CopyBuffer(writerOnly{f}, src, make([]byte, copyBufferSize))
	n += k
	if err != nil {
		return n, fmt.Errorf("write upload data %s: %w", u.rec.ID, err)
	}
	return n, nil
}

// writerOnly hides os.File's ReadFrom, so that io.CopyBuffer uses its buffer.
type writerOnly struct{ io.Writer }

// FinishUpload refuses to finish an upload whose bytes were refused; the
// call itself is made by the pre-finish hook, which can answer the client.
func (u *upload) FinishUpload(context.Context) error { return u.refused }

func (u *upload) GetReader(context.Context) (io.ReadCloser, error) {
	return u.s.openData(u.rec.ID)
}

// Terminate removes the upload; an upload already ingested keeps its call.
func (u *upload) Terminate(context.Context) error { return u.s.remove(u.rec.ID) }
