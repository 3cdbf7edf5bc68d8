package blob

import (
	"io"
	"path/filepath"
	"strconv"
	"testing"

	gcblob "gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
)

// BenchmarkFileWrite measures NewWriter on a file:// bucket: "durable" is
// what callers get (fsync of the file and of its directories), "nosync"
// the same writer without any fsync, and "fileblob" gocloud's own writer
// (no fsync either) as a baseline. MB/s comes from SetBytes.
//
//	go test -run '^$' -bench FileWrite -benchtime 5x ./internal/blob/
//
// Objects are overwritten in turn (4 keys), so disk use stays bounded.
func BenchmarkFileWrite(b *testing.B) {
	for _, size := range []int64{256 << 20, 1 << 20, 64 << 10} {
		for _, mode := range []string{"durable", "nosync", "fileblob"} {
			b.Run(mode+"/"+sizeName(size), func(b *testing.B) {
				dir := b.TempDir()
				bucket, err := Open(b.Context(), "file://"+dir)
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { _ = bucket.Close() })
				bucket.file.noSync = mode == "nosync"
				var fb *gcblob.Bucket
				if mode == "fileblob" {
					fb, err = fileblob.OpenBucket(filepath.Join(dir, "fileblob"), &fileblob.Options{
						CreateDir: true, NoTempDir: true, Metadata: fileblob.MetadataDontWrite,
					})
					if err != nil {
						b.Fatal(err)
					}
					b.Cleanup(func() { _ = fb.Close() })
				}
				buf := make([]byte, 32<<10) // io.Copy's chunk size
				for i := range buf {
					buf[i] = byte(i * 7)
				}
				b.SetBytes(size)
				b.ResetTimer()
				for i := range b.N {
					key := CallKey("org", "campaign", strconv.Itoa(i%4)) // bounded disk use
					var w io.WriteCloser
					if fb != nil {
						w, err = fb.NewWriter(b.Context(), key, &gcblob.WriterOptions{ContentType: "application/octet-stream"})
					} else {
						w, err = bucket.NewWriter(b.Context(), key)
					}
					if err != nil {
						b.Fatal(err)
					}
					for left := size; left > 0; {
						n := min(left, int64(len(buf)))
						if _, err := w.Write(buf[:n]); err != nil {
							b.Fatal(err)
						}
						left -= n
					}
					if err := w.Close(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func sizeName(n int64) string {
	if n >= 1<<20 {
		return strconv.FormatInt(n>>20, 10) + "MiB"
	}
	return strconv.FormatInt(n>>10, 10) + "KiB"
}
