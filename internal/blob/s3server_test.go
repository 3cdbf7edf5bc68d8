package blob_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/callimport/callimport/internal/testenv"
)

const (
	s3Access = "callimporttest"
	s3Secret = "callimporttestsecret"
	s3Bucket = "recordings"
)

// s3Server is one versitygw process shared by all tests of the package.
type s3Server struct {
	once     sync.Once
	err      error
	endpoint string
	cmd      *exec.Cmd
	dir      string
}

// shared is started by the first test that needs it and stopped by TestMain.
var shared s3Server

func TestMain(m *testing.M) {
	// The AWS SDK reads credentials from the environment, as in production.
	// Set before any test runs, so no test races with it.
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":           s3Access,
		"AWS_SECRET_ACCESS_KEY":       s3Secret,
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_CONFIG_FILE":             os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
	} {
		if err := os.Setenv(k, v); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
	code := m.Run()
	shared.stop()
	os.Exit(code)
}

// s3URL returns the URL of the shared test bucket, starting versitygw on
// first use. It skips (or fails, in CI) when versitygw is not installed.
func s3URL(t testing.TB) string {
	t.Helper()
	bin := testenv.Tool(t, "versitygw")
	shared.once.Do(func() { shared.err = shared.start(bin) })
	if shared.err != nil {
		t.Fatalf("start versitygw: %v", shared.err)
	}
	return "s3://" + s3Bucket + "?endpoint=" + shared.endpoint + "&region=us-east-1&use_path_style=true"
}

func (s *s3Server) start(bin string) error {
	dir, err := os.MkdirTemp("", "versitygw-")
	if err != nil {
		return err
	}
	s.dir = dir
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	port, err := freePort(ctx)
	if err != nil {
		return err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	s.endpoint = "http://" + addr
	// context.Background: the server outlives every single test.
	s.cmd = exec.CommandContext(context.Background(), bin,
		"--port", addr, "--access", s3Access, "--secret", s3Secret, "--quiet",
		"posix", dir)
	if testing.Verbose() {
		s.cmd.Stdout = os.Stderr
		s.cmd.Stderr = os.Stderr
	}
	if err := s.cmd.Start(); err != nil {
		return err
	}
	for {
		c, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
		if err == nil {
			_ = c.Close()
			break
		}
		if ctx.Err() != nil {
			return fmt.Errorf("versitygw did not listen on %s: %w", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	_, err = s.client().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(s3Bucket)})
	if err != nil {
		return fmt.Errorf("create bucket: %w", err)
	}
	return nil
}

// client returns an S3 client of the shared server, for checks that go
// around our package (such as listing multipart uploads).
func (s *s3Server) client() *s3.Client {
	return s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(s.endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(s3Access, s3Secret, ""),
	})
}

func (s *s3Server) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		err := s.cmd.Wait()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			fmt.Fprintln(os.Stderr, "versitygw:", err)
		}
	}
	if s.dir != "" {
		_ = os.RemoveAll(s.dir)
	}
}

// freePort returns a port that was free a moment ago (versitygw takes an
// address, not a listener).
func freePort(ctx context.Context) (int, error) {
	l, err := (&net.ListenConfig{}).Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	addr, ok := l.Addr().(*net.TCPAddr)
	if !ok {
		return 0, errors.Join(fmt.Errorf("listener address %v is not TCP", l.Addr()), l.Close())
	}
	return addr.Port, l.Close()
}
