// Package blob stores call recordings in a bucket: a local directory or an
// S3-compatible object store. Reads, lists and deletes go through
// gocloud.dev/blob (fileblob, s3blob); writes go through a durable file
// writer of our own and the AWS SDK's transfer manager, which control how a
// write ends (see Writer).
//
// # Configuration
//
// Open takes a URL:
//
//   - file:///abs/path — a directory, created (mode 0750) if missing.
//     Writes go to a temporary file in /abs/path/.tmp, are fsynced, renamed
//     into place and the directory (and any parent just created) is
//     fsynced, so an acknowledged object survives a crash. No metadata
//     sidecar files are written. Temporary files older than 24 hours (left
//     by a crash) are removed by Open, or earlier by RemoveStaleTemps.
//   - s3://bucket?endpoint=http://127.0.0.1:9000&region=us-east-1&use_path_style=true
//     — an S3 bucket (AWS SDK v2). Credentials come from the standard AWS
//     environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_PROFILE, …).
//     Other parameters: disable_https, and those of gocloud.dev/aws
//     (profile, request_checksum_calculation, response_checksum_validation, …).
//     s3blob's ssetype, kmskeyid and accelerate are not supported.
//     An object becomes visible only when its upload completes.
//
// # What to watch
//
//   - Keys are built from our own ids only (CallKey); every method rejects a
//     key whose segments are not [A-Za-z0-9_-]{1,128} with ErrInvalidKey.
//   - An S3 writer holds up to about 4 × 8 MiB of part buffers while
//     streaming (parts of 8 MiB, 2 uploaded at once); a file writer 64 KiB.
//   - On S3, a failed, aborted or canceled upload is aborted on the server;
//     a crash mid-upload leaves an incomplete multipart upload that only a
//     bucket lifecycle rule (AbortIncompleteMultipartUpload) removes.
package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	gcaws "gocloud.dev/aws"
	gcblob "gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/s3blob"
	"gocloud.dev/gcerrors"
)

var (
	// ErrNotFound is returned when an object does not exist.
	ErrNotFound = errors.New("blob not found")
	// ErrInvalidKey is returned for a key that is not made of our own ids.
	ErrInvalidKey = errors.New("invalid blob key")
	// ErrClosed is returned when a Writer is used after Close or Abort.
	ErrClosed = errors.New("blob writer closed")
)

// Bucket is an opened blob store. It is safe for concurrent use.
type Bucket struct {
	b *gcblob.Bucket
	// file is set for file:// buckets, whose writes we make durable ourselves.
	file *fileStore
	// s3, tm and s3Bucket are set for s3:// buckets; writes go through tm.
	s3       *s3.Client
	tm       *transfermanager.Client
	s3Bucket string
}

// Attrs describes a stored object.
type Attrs struct {
	Size    int64
	ModTime time.Time
}

// Object is one entry yielded by List.
type Object struct {
	Key     string
	Size    int64
	ModTime time.Time
}

// Open opens the bucket named by rawURL (see the package documentation).
// The caller must Close it.
func Open(ctx context.Context, rawURL string) (*Bucket, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("open bucket: parse url: %w", err)
	}
	switch u.Scheme {
	case "file":
		return openFile(u)
	case "s3":
		return openS3(ctx, u)
	default:
		return nil, fmt.Errorf("open bucket %s: unsupported scheme %q (want file or s3)", redact(u), u.Scheme)
	}
}

func openFile(u *url.URL) (*Bucket, error) {
	if u.Host != "" && u.Host != "localhost" {
		return nil, fmt.Errorf("open bucket %s: host must be empty", u)
	}
	if u.RawQuery != "" {
		return nil, fmt.Errorf("open bucket %s: file buckets take no parameters", u)
	}
	dir := filepath.Clean(u.Path)
	if !filepath.IsAbs(dir) {
		return nil, fmt.Errorf("open bucket %s: path must be absolute", u)
	}
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return nil, fmt.Errorf("open bucket %s: %w", u, err)
	}
	fs, err := openFileStore(dir)
	if err != nil {
		return nil, fmt.Errorf("open bucket %s: %w", u, err)
	}
	b, err := fileblob.OpenBucket(dir, &fileblob.Options{
		Metadata:    fileblob.MetadataDontWrite,
		DirFileMode: dirMode,
	})
	if err != nil {
		_ = fs.close()
		return nil, fmt.Errorf("open bucket %s: %w", u, err)
	}
	return &Bucket{b: b, file: fs}, nil
}

// openS3 opens an s3:// URL as s3blob's URL opener does, less its
// encryption and acceleration parameters, but with a client of our own: it
// keeps the SDK from logging a warning on every download of a multipart
// object, and serves our writer (see s3Writer), which uses the SDK's
// transfer manager directly to control how uploads end.
func openS3(ctx context.Context, u *url.URL) (*Bucket, error) {
	if u.Host == "" {
		return nil, fmt.Errorf("open bucket %s: missing bucket name", redact(u))
	}
	q := u.Query()
	opts := []func(*s3.Options){func(o *s3.Options) { o.DisableLogOutputChecksumValidationSkipped = true }}
	for _, name := range []string{"use_path_style", "disable_https"} {
		v := q.Get(name)
		if v == "" {
			continue
		}
		q.Del(name)
		on, err := strconv.ParseBool(v)
		if err != nil {
			return nil, fmt.Errorf("open bucket %s: %s: %w", redact(u), name, err)
		}
		if name == "use_path_style" {
			opts = append(opts, func(o *s3.Options) { o.UsePathStyle = on })
		} else {
			opts = append(opts, func(o *s3.Options) { o.EndpointOptions.DisableHTTPS = on })
		}
	}
	cfg, err := gcaws.V2ConfigFromURLParams(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("open bucket %s: %w", redact(u), err)
	}
	client := s3.NewFromConfig(cfg, opts...)
	b, err := s3blob.OpenBucket(ctx, client, u.Host, nil)
	if err != nil {
		return nil, fmt.Errorf("open bucket %s: %w", redact(u), err)
	}
	tm := transfermanager.New(client, func(o *transfermanager.Options) {
		o.PartSizeBytes = s3PartSize
		o.MultipartUploadThreshold = s3PartSize
		o.Concurrency = s3Concurrency
		// The transfer manager does not take this from the client.
		o.RequestChecksumCalculation = cfg.RequestChecksumCalculation
		// Abort a failed multipart upload under a fresh context.
		o.FailTimeout = cleanupTimeout
	})
	return &Bucket{b: b, s3: client, tm: tm, s3Bucket: u.Host}, nil
}

// redact drops the query of an S3 URL from error messages; it holds no
// secrets today, but nothing forces that.
func redact(u *url.URL) string {
	c := *u
	c.RawQuery = ""
	return c.String()
}

// Close releases the bucket. Writers and readers must be closed first.
func (b *Bucket) Close() error {
	err := b.b.Close()
	if b.file != nil {
		err = errors.Join(err, b.file.close())
	}
	if err != nil {
		return fmt.Errorf("close bucket: %w", err)
	}
	return nil
}

// Ping checks that the bucket is reachable and exists, for readiness probes.
func (b *Bucket) Ping(ctx context.Context) error {
	if b.file != nil {
		if err := b.file.ping(); err != nil {
			return fmt.Errorf("ping bucket: %w", err)
		}
		return nil
	}
	ok, err := b.b.IsAccessible(ctx)
	if err != nil {
		return fmt.Errorf("ping bucket: %w", err)
	}
	if !ok {
		return fmt.Errorf("ping bucket: bucket does not exist: %w", ErrNotFound)
	}
	return nil
}

// Attributes returns the size and modification time of key, or an error
// wrapping ErrNotFound.
func (b *Bucket) Attributes(ctx context.Context, key string) (Attrs, error) {
	if err := ValidateKey(key); err != nil {
		return Attrs{}, fmt.Errorf("stat blob: %w", err)
	}
	a, err := b.b.Attributes(ctx, key)
	if err != nil {
		return Attrs{}, wrapErr("stat blob", key, err)
	}
	return Attrs{Size: a.Size, ModTime: a.ModTime}, nil
}

// Reader reads (part of) an object. Close it when done.
type Reader struct {
	r *gcblob.Reader
}

// Read implements io.Reader.
func (r *Reader) Read(p []byte) (int, error) { return r.r.Read(p) }

// Close releases the reader.
func (r *Reader) Close() error { return r.r.Close() }

// Size returns the size of the whole object, not of the range being read.
func (r *Reader) Size() int64 { return r.r.Size() }

// ModTime returns the object's modification time.
func (r *Reader) ModTime() time.Time { return r.r.ModTime() }

// NewRangeReader returns a reader of length bytes of key starting at offset;
// a negative length reads to the end. It returns an error wrapping ErrNotFound
// if key does not exist. The range must lie within the object: callers check
// it against Attributes first (a range past the end is an error on S3 and a
// short read on file://).
func (b *Bucket) NewRangeReader(ctx context.Context, key string, offset, length int64) (*Reader, error) {
	if err := ValidateKey(key); err != nil {
		return nil, fmt.Errorf("read blob: %w", err)
	}
	if offset < 0 {
		return nil, fmt.Errorf("read blob %s: negative offset %d", key, offset)
	}
	r, err := b.b.NewRangeReader(ctx, key, offset, length, nil)
	if err != nil {
		return nil, wrapErr("read blob", key, err)
	}
	return &Reader{r: r}, nil
}

// Delete removes key. Deleting a key that does not exist is not an error.
func (b *Bucket) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return fmt.Errorf("delete blob: %w", err)
	}
	if err := b.b.Delete(ctx, key); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
		return wrapErr("delete blob", key, err)
	}
	return nil
}

// List yields the objects whose keys start with prefix, in key order. Objects
// whose keys are not valid keys (foreign files, temporary files) are skipped.
// The iteration stops at the first error, which is yielded.
func (b *Bucket) List(ctx context.Context, prefix string) iter.Seq2[Object, error] {
	return func(yield func(Object, error) bool) {
		if !validPrefix(prefix) {
			yield(Object{}, fmt.Errorf("list blobs %q: %w", prefix, ErrInvalidKey))
			return
		}
		it := b.b.List(&gcblob.ListOptions{Prefix: prefix})
		for {
			o, err := it.Next(ctx)
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				yield(Object{}, fmt.Errorf("list blobs %q: %w", prefix, err))
				return
			}
			if o.IsDir || ValidateKey(o.Key) != nil {
				continue
			}
			if !yield(Object{Key: o.Key, Size: o.Size, ModTime: o.ModTime}, nil) {
				return
			}
		}
	}
}

// wrapErr wraps a gocloud error with op and key, mapping not-found to
// ErrNotFound.
func wrapErr(op, key string, err error) error {
	if gcerrors.Code(err) == gcerrors.NotFound {
		return fmt.Errorf("%s %s: %w", op, key, ErrNotFound)
	}
	return fmt.Errorf("%s %s: %w", op, key, err)
}
