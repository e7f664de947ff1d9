package mcpserver

import (
	"crypto/sha256"
	"crypto/subtle"
)

// tokenEqual compares in constant time; hashing first hides the real token's length.
func tokenEqual(got, want string) bool {
	g := sha256.Sum256([]byte(got))
	w := sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}
