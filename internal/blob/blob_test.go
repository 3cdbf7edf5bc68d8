package blob_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/callimport/callimport/internal/blob"
	"github.com/callimport/callimport/internal/call"
)

// backend opens a bucket for a test, with a function that reports what an
// aborted write of key may have left behind outside the key space (temporary
// files, multipart uploads).
type backend struct {
	name string
	open func(t *testing.T) (*blob.Bucket, func(key string) []string)
}

var fileBackend = backend{
	name: "file",
	open: func(t *testing.T) (*blob.Bucket, func(string) []string) {
		dir := filepath.Join(t.TempDir(), "bucket") // missing: Open creates it
		b := openBucket(t, "file://"+dir)
		return b, func(string) []string {
			entries, err := os.ReadDir(filepath.Join(dir, ".tmp"))
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			return names
		}
	},
}

var s3Backend = backend{
	name: "s3",
	open: func(t *testing.T) (*blob.Bucket, func(string) []string) {
		b := openBucket(t, s3URL(t))
		return b, func(key string) []string {
			out, err := shared.client().ListMultipartUploads(t.Context(), &s3.ListMultipartUploadsInput{
				Bucket: aws.String(s3Bucket), Prefix: aws.String(key),
			})
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, u := range out.Uploads {
				names = append(names, aws.ToString(u.Key)+" "+aws.ToString(u.UploadId))
			}
			return names
		}
	},
}

func openBucket(t *testing.T, url string) *blob.Bucket {
	t.Helper()
	b, err := blob.Open(t.Context(), url)
	if err != nil {
		t.Fatalf("Open(%s): %v", url, err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return b
}

// newKey returns a key under a prefix of its own, so tests sharing the S3
// bucket never see each other's objects.
func newKey(org string) string { return blob.CallKey(org, "campaign", call.NewID()) }

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(r.Uint32())
	}
	return p
}

func put(t *testing.T, b *blob.Bucket, key string, data []byte) {
	t.Helper()
	w, err := b.NewWriter(t.Context(), key)
	if err != nil {
		t.Fatalf("NewWriter(%s): %v", key, err)
	}
	defer func() { _ = w.Abort() }()
	// Small uneven chunks, as a network body arrives.
	for rest := data; len(rest) > 0; {
		n := min(len(rest), 7001)
		if _, err := w.Write(rest[:n]); err != nil {
			t.Fatalf("Write: %v", err)
		}
		rest = rest[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close(%s): %v", key, err)
	}
}

func get(t *testing.T, b *blob.Bucket, key string, off, n int64) ([]byte, int64) {
	t.Helper()
	r, err := b.NewRangeReader(t.Context(), key, off, n)
	if err != nil {
		t.Fatalf("NewRangeReader(%s, %d, %d): %v", key, off, n, err)
	}
	defer func() { _ = r.Close() }()
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	return got, r.Size()
}

func TestConformance(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		run  func(t *testing.T, be backend)
	}{
		{"RoundTrip", testRoundTrip},
		{"RangeRead", testRangeRead},
		{"AbortLeavesNothing", testAbort},
		{"CancelLeavesNothing", testCancel},
		{"DeleteIdempotent", testDelete},
		{"NotFound", testNotFound},
		{"List", testList},
		{"InvalidKeys", testInvalidKeys},
		{"Ping", testPing},
	}
	for _, be := range []backend{fileBackend, s3Backend} {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					tc.run(t, be)
				})
			}
		})
	}
}

func testRoundTrip(t *testing.T, be backend) {
	b, _ := be.open(t)
	key := newKey(call.NewID())
	data := randomBytes(300_000, 1)
	put(t, b, key, data)

	got, size := get(t, b, key, 0, -1)
	if !bytes.Equal(got, data) || size != int64(len(data)) {
		t.Fatalf("read back %d bytes (size %d), want %d identical bytes", len(got), size, len(data))
	}
	a, err := b.Attributes(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	if a.Size != int64(len(data)) || a.ModTime.IsZero() {
		t.Errorf("Attributes = %+v, want size %d and a mod time", a, len(data))
	}

	// Close replaces an existing object; an empty object is an object.
	put(t, b, key, nil)
	if got, size := get(t, b, key, 0, -1); len(got) != 0 || size != 0 {
		t.Errorf("after overwrite read %d bytes (size %d), want 0", len(got), size)
	}
}

func testRangeRead(t *testing.T, be backend) {
	b, _ := be.open(t)
	key := newKey(call.NewID())
	data := randomBytes(10_000, 2)
	put(t, b, key, data)
	for _, r := range []struct{ off, n int64 }{{0, 1}, {100, 50}, {9_990, -1}, {9_999, 1}, {0, 10_000}} {
		got, size := get(t, b, key, r.off, r.n)
		end := int64(len(data))
		if r.n >= 0 {
			end = r.off + r.n
		}
		if !bytes.Equal(got, data[r.off:end]) {
			t.Errorf("range %d+%d: got %d bytes, want data[%d:%d]", r.off, r.n, len(got), r.off, end)
		}
		if size != int64(len(data)) {
			t.Errorf("range %d+%d: Size() = %d, want the object size %d", r.off, r.n, size, len(data))
		}
	}
}

func testAbort(t *testing.T, be backend) {
	b, leftovers := be.open(t)
	// 20 MiB takes S3 past its multipart threshold (16 MiB).
	for _, n := range []int{0, 1000, 20 << 20} {
		key := newKey(call.NewID())
		w, err := b.NewWriter(t.Context(), key)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(make([]byte, n)); err != nil {
			t.Fatal(err)
		}
		if err := w.Abort(); err != nil {
			t.Fatalf("Abort after %d bytes: %v", n, err)
		}
		if err := w.Close(); !errors.Is(err, blob.ErrClosed) {
			t.Errorf("Close after Abort = %v, want ErrClosed", err)
		}
		assertGone(t, b, leftovers, key)
	}
}

func testCancel(t *testing.T, be backend) {
	b, leftovers := be.open(t)
	key := newKey(call.NewID())
	ctx, cancel := context.WithCancel(t.Context())
	w, err := b.NewWriter(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(make([]byte, 100_000)); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := w.Close(); err == nil {
		t.Fatal("Close after cancel succeeded, want an error")
	}
	if err := w.Abort(); err != nil {
		t.Errorf("Abort after Close = %v, want nil (no-op)", err)
	}
	assertGone(t, b, leftovers, key)
}

func assertGone(t *testing.T, b *blob.Bucket, leftovers func(string) []string, key string) {
	t.Helper()
	if _, err := b.Attributes(t.Context(), key); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Attributes(%s) after abort = %v, want ErrNotFound", key, err)
	}
	for o, err := range b.List(t.Context(), key) {
		t.Errorf("List after abort yielded %+v, %v", o, err)
	}
	if left := leftovers(key); len(left) > 0 {
		t.Errorf("abort left %q behind", left)
	}
}

func testDelete(t *testing.T, be backend) {
	b, _ := be.open(t)
	key := newKey(call.NewID())
	put(t, b, key, []byte("hello"))
	for i := range 2 {
		if err := b.Delete(t.Context(), key); err != nil {
			t.Fatalf("Delete #%d: %v", i+1, err)
		}
	}
	if _, err := b.NewRangeReader(t.Context(), key, 0, -1); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("read after delete = %v, want ErrNotFound", err)
	}
}

func testNotFound(t *testing.T, be backend) {
	b, _ := be.open(t)
	key := newKey(call.NewID())
	if _, err := b.Attributes(t.Context(), key); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Attributes = %v, want ErrNotFound", err)
	}
	if _, err := b.NewRangeReader(t.Context(), key, 0, 10); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("NewRangeReader = %v, want ErrNotFound", err)
	}
}

func testList(t *testing.T, be backend) {
	b, _ := be.open(t)
	org := call.NewID()
	var want []blob.Object
	for i := range 3 {
		key := blob.CallKey(org, "c1", call.NewID())
		put(t, b, key, make([]byte, i*10))
		want = append(want, blob.Object{Key: key, Size: int64(i * 10)})
	}
	put(t, b, blob.CallKey(org, "c2", call.NewID()), []byte("other campaign"))

	var got []blob.Object
	for o, err := range b.List(t.Context(), blob.CallsPrefix+org+"/c1/") {
		if err != nil {
			t.Fatal(err)
		}
		if o.ModTime.IsZero() {
			t.Errorf("%s has no mod time", o.Key)
		}
		o.ModTime = want[0].ModTime
		got = append(got, o)
	}
	if !slices.Equal(got, want) { // ids are time-ordered, so want is in key order
		t.Errorf("List = %+v, want %+v", got, want)
	}

	n := 0
	for _, err := range b.List(t.Context(), blob.CallsPrefix+org+"/") {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 4 {
		t.Errorf("List of the org yielded %d objects, want 4", n)
	}
	for _, err := range b.List(t.Context(), "../") {
		if !errors.Is(err, blob.ErrInvalidKey) {
			t.Errorf("List(../) = %v, want ErrInvalidKey", err)
		}
	}
}

func testInvalidKeys(t *testing.T, be backend) {
	b, _ := be.open(t)
	for _, key := range []string{"", "calls/../etc", "calls/a b/c", "/calls/a", "calls//a", "calls/a/", "calls/ü", "calls/.tmp"} {
		if _, err := b.NewWriter(t.Context(), key); !errors.Is(err, blob.ErrInvalidKey) {
			t.Errorf("NewWriter(%q) = %v, want ErrInvalidKey", key, err)
		}
		if err := b.Delete(t.Context(), key); !errors.Is(err, blob.ErrInvalidKey) {
			t.Errorf("Delete(%q) = %v, want ErrInvalidKey", key, err)
		}
	}
}

func testPing(t *testing.T, be backend) {
	b, _ := be.open(t)
	if err := b.Ping(t.Context()); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

func TestPingFailures(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	b := openBucket(t, "file://"+dir)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := b.Ping(t.Context()); err == nil {
		t.Error("Ping of a removed directory succeeded")
	}

	u := s3URL(t)
	missing := openBucket(t, "s3://no-such-bucket"+u[len("s3://"+s3Bucket):])
	if err := missing.Ping(t.Context()); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Ping of a missing S3 bucket = %v, want ErrNotFound", err)
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"file://relative/dir", "file:///tmp/x?metadata=skip", "gs://bucket", "file://host/dir", "::"} {
		if b, err := blob.Open(t.Context(), u); err == nil {
			_ = b.Close()
			t.Errorf("Open(%q) succeeded, want an error", u)
		}
	}
}

// TestS3WriteFailure checks that a failing upload (here: no such bucket)
// neither blocks Write nor reports success.
func TestS3WriteFailure(t *testing.T) {
	t.Parallel()
	u := s3URL(t)
	b := openBucket(t, "s3://no-such-bucket"+u[len("s3://"+s3Bucket):])
	for _, size := range []int{10, 20 << 20} {
		w, err := b.NewWriter(t.Context(), newKey(call.NewID()))
		if err != nil {
			t.Fatal(err)
		}
		var werr error
		for rest := size; rest > 0 && werr == nil; rest -= 1 << 20 {
			_, werr = w.Write(make([]byte, min(rest, 1<<20)))
		}
		if err := w.Close(); err == nil {
			t.Errorf("%d bytes: Close succeeded without a bucket (Write: %v)", size, werr)
		}
	}
}
