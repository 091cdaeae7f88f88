package linkwatch

import "time"

// Session is a dashboard sign-in as stored. The browser's cookie holds a
// random ID; the store keeps only its SHA-256 (IDHash), so a copy of the
// database signs nobody in. TokenID and TokenHash name the API token that
// was exchanged for the session: the session is valid only while that token
// still exists with that hash (a deleted or replaced token ends it).
type Session struct {
	IDHash    []byte
	TokenID   string
	TokenHash []byte
	CreatedAt time.Time
	ExpiresAt time.Time
}
