package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/linkwatch/linkwatch"
)

// CreateSession stores a new dashboard session; a taken ID hash is an
// ECONFLICT error.
func (s *Store) CreateSession(ctx context.Context, sess *linkwatch.Session) error {
	_, err := s.pool.Exec(ctx, "INSERT INTO sessions (id_hash, token_id, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
		sess.IDHash, sess.TokenID, sess.TokenHash, stored(sess.CreatedAt), stored(sess.ExpiresAt))
	return mapErr(err, "id")
}

// SessionByHash returns the session whose ID hashes to hash, expired or not,
// or an ENOTFOUND error.
func (s *Store) SessionByHash(ctx context.Context, hash []byte) (*linkwatch.Session, error) {
	var sess linkwatch.Session
	err := s.pool.QueryRow(ctx, "SELECT id_hash, token_id, token_hash, created_at, expires_at FROM sessions WHERE id_hash = $1", hash).
		Scan(&sess.IDHash, &sess.TokenID, &sess.TokenHash, &sess.CreatedAt, &sess.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, linkwatch.Errorf(linkwatch.ENOTFOUND, "session not found")
	}
	if err != nil {
		return nil, mapErr(err, "")
	}
	sess.CreatedAt, sess.ExpiresAt = sess.CreatedAt.UTC(), sess.ExpiresAt.UTC()
	return &sess, nil
}

// DeleteSession deletes a session; deleting an absent one is no error.
func (s *Store) DeleteSession(ctx context.Context, hash []byte) error {
	_, err := s.pool.Exec(ctx, "DELETE FROM sessions WHERE id_hash = $1", hash)
	return mapErr(err, "")
}

// PruneSessions deletes the sessions that expired at or before before and
// says how many.
func (s *Store) PruneSessions(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, "DELETE FROM sessions WHERE expires_at <= $1", stored(before))
	if err != nil {
		return 0, mapErr(err, "")
	}
	return tag.RowsAffected(), nil
}
