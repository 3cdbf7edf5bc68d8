package connectors

import (
	"context"
	"fmt"

	"github.com/callimport/callimport/internal/sealing"
	"github.com/callimport/callimport/internal/store"
)

// Rotation is the outcome of RotateSecrets.
type Rotation struct {
	// Total sealed secrets found; Resealed under the new key; Current were
	// already sealed under it.
	Total    int    `json:"total"`
	Resealed int    `json:"resealed"`
	Current  int    `json:"current"`
	KeyID    string `json:"key_id"`
}

// RotateSecrets re-encrypts every stored connector secret under kr's
// primary key, in one transaction: either all are rotated or none. kr must
// also hold the keys the secrets are sealed under now (as previous keys);
// a secret none of them opens aborts the rotation with an error naming it.
func RotateSecrets(ctx context.Context, st store.Store, kr *sealing.Keyring) (Rotation, error) {
	rot := Rotation{KeyID: kr.PrimaryID()}
	err := st.InTx(ctx, func(tx store.Tx) error {
		rot = Rotation{KeyID: kr.PrimaryID()}
		c, ok := tx.(store.Connectors)
		if !ok {
			return fmt.Errorf("rotate secrets: store %T has no connectors", tx)
		}
		secrets, err := c.SealedSecretList(ctx)
		if err != nil {
			return fmt.Errorf("rotate secrets: %w", err)
		}
		for _, s := range secrets {
			rot.Total++
			if sealing.SealedKeyID(s.Value) == kr.PrimaryID() {
				rot.Current++
				continue
			}
			plain, err := kr.Open(s.OrgID, s.Value)
			if err != nil {
				return fmt.Errorf("rotate secrets: %s.%s of %s (organisation %s): %w; give the key it was sealed under as the old key",
					s.Table, s.Column, s.ID, s.OrgID, err)
			}
			sealed, err := kr.Seal(s.OrgID, plain)
			if err != nil {
				return fmt.Errorf("rotate secrets: %w", err)
			}
			if err := c.SealedSecretSet(ctx, s, sealed); err != nil {
				return fmt.Errorf("rotate secrets: %w", err)
			}
			rot.Resealed++
		}
		return nil
	})
	if err != nil {
		return Rotation{}, err //nolint:wrapcheck // wrapped inside
	}
	return rot, nil
}
