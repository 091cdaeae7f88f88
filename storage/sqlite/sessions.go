package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/linkwatch/linkwatch"
)

// CreateSession stores a new dashboard session; a taken ID hash is an
// ECONFLICT error.
func (s *Store) CreateSession(ctx context.Context, sess *linkwatch.Session) error {
	s.uses.Add(1)
	_, err := s.write.ExecContext(ctx, "INSERT INTO sessions (id_hash, token_id, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
		sess.IDHash, sess.TokenID, sess.TokenHash, ms(sess.CreatedAt), ms(sess.ExpiresAt))
	return mapErr(err, "id")
}

// SessionByHash returns the session whose ID hashes to hash, expired or not,
// or an ENOTFOUND error.
func (s *Store) SessionByHash(ctx context.Context, hash []byte) (*linkwatch.Session, error) {
	s.uses.Add(1)
	var sess linkwatch.Session
	var created, expires int64
	err := s.read.QueryRowContext(ctx, "SELECT id_hash, token_id, token_hash, created_at, expires_at FROM sessions WHERE id_hash = ?", hash).
		Scan(&sess.IDHash, &sess.TokenID, &sess.TokenHash, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, linkwatch.Errorf(linkwatch.ENOTFOUND, "session not found")
	}
	if err != nil {
		return nil, mapErr(err, "")
	}
	sess.CreatedAt, sess.ExpiresAt = fromMS(created), fromMS(expires)
	return &sess, nil
}

// DeleteSession deletes a session; deleting an absent one is no error.
func (s *Store) DeleteSession(ctx context.Context, hash []byte) error {
	s.uses.Add(1)
	_, err := s.write.ExecContext(ctx, "DELETE FROM sessions WHERE id_hash = ?", hash)
	return mapErr(err, "")
}

// PruneSessions deletes the sessions that expired at or before before and
// says how many.
func (s *Store) PruneSessions(ctx context.Context, before time.Time) (int64, error) {
	s.uses.Add(1)
	res, err := s.write.ExecContext(ctx, "DELETE FROM sessions WHERE expires_at <= ?", ms(before))
	if err != nil {
		return 0, mapErr(err, "")
	}
	return res.RowsAffected()
}
