package genesys

import "github.com/callimport/callimport/internal/sealing"

// Sealer encrypts connection secrets at rest; it is the neutral
// sealing.Keyring, kept under this name for the channel's callers.
type Sealer = sealing.Keyring

// ErrUnseal means a sealed secret could not be decrypted (key not
// configured, other organisation, or altered).
var ErrUnseal = sealing.ErrUnseal

// NewSealer returns a keyring with the single key keyB64 (32 bytes in base64).
func NewSealer(keyB64 string) (*Sealer, error) { return sealing.New(keyB64) }
