package linkwatch

import (
	"crypto/rand"
	"encoding/hex"
)

// NewID returns 128 random bits in hex: the IDs of check results,
// notifications, silences, incidents and subscribers.
func NewID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails: crypto/rand panics itself on broken platforms
	return hex.EncodeToString(b[:])
}
