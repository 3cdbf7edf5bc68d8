package config

import "time"

// SFTP configures the hosted SFTP server (its address is Serve.SFTPAddr;
// an empty address turns it off).
type SFTP struct {
	// HostKey is the ed25519 host key file, generated on first start;
	// empty means DataDir/sftp_host_ed25519.
	HostKey string
	// StagingDir holds temporary-name uploads until their rename; empty
	// means DataDir/sftp-staging.
	StagingDir string
	// MaxLoginFailures failed logins from one address within
	// LoginFailureWindow ban it for BanDuration. Defaults 5, 10m, 15m.
	MaxLoginFailures   int
	LoginFailureWindow time.Duration
	BanDuration        time.Duration
	// MetadataWait is how long audio of a campaign that requires metadata
	// waits for its sidecar or CSV row; defaults to 1 hour.
	MetadataWait time.Duration
}

// BindSFTP binds the SFTP server's flags.
func BindSFTP(f *Flags, c *SFTP) {
	f.String(&c.HostKey, "sftp-host-key", "", "SFTP host key file (default: DATA_DIR/sftp_host_ed25519, created if missing)")
	f.String(&c.StagingDir, "sftp-staging-dir", "", "folder for SFTP uploads under temporary names (default: DATA_DIR/sftp-staging)")
	f.Int(&c.MaxLoginFailures, "sftp-max-login-failures", 5, "failed SFTP logins from one address that trigger a ban")
	f.Duration(&c.LoginFailureWindow, "sftp-login-failure-window", 10*time.Minute, "window in which failed SFTP logins are counted")
	f.Duration(&c.MetadataWait, "sftp-metadata-wait", time.Hour, "how long SFTP audio of a campaign that requires metadata waits for its sidecar or CSV row")
	f.Duration(&c.BanDuration, "sftp-ban-duration", 15*time.Minute, "how long an address is refused after too many failed SFTP logins")
}
