package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/linkwatch/linkwatch"
)

const tokenColumns = "id, name, hash, scopes, regions, created_at"

func scanToken(row pgx.Row) (*linkwatch.Token, error) {
	var t linkwatch.Token
	var scopes []string
	if err := row.Scan(&t.ID, &t.Name, &t.Hash, &scopes, &t.Regions, &t.CreatedAt); err != nil {
		return nil, err
	}
	t.Scopes = make([]linkwatch.Scope, len(scopes))
	for i, sc := range scopes {
		t.Scopes[i] = linkwatch.Scope(sc)
	}
	if t.Regions == nil {
		t.Regions = []string{}
	}
	t.CreatedAt = t.CreatedAt.UTC()
	return &t, nil
}

func tokenNotFound(id string) error {
	return linkwatch.Errorf(linkwatch.ENOTFOUND, "token %q not found", id)
}

// CreateToken stores a new token; a taken ID is an ECONFLICT error.
func (s *Store) CreateToken(ctx context.Context, t *linkwatch.Token) error {
	scopes := make([]string, len(t.Scopes))
	for i, sc := range t.Scopes {
		scopes[i] = string(sc)
	}
	regions := t.Regions
	if regions == nil {
		regions = []string{} // NOT NULL: a nil slice would be NULL
	}
	_, err := s.pool.Exec(ctx, "INSERT INTO tokens ("+tokenColumns+") VALUES ($1, $2, $3, $4, $5, $6)",
		t.ID, t.Name, t.Hash, scopes, regions, stored(t.CreatedAt))
	return mapErr(err, "id")
}

// TokenByID returns the token, or an ENOTFOUND error.
func (s *Store) TokenByID(ctx context.Context, id string) (*linkwatch.Token, error) {
	t, err := scanToken(s.pool.QueryRow(ctx, "SELECT "+tokenColumns+" FROM tokens WHERE id = $1", id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, tokenNotFound(id)
	}
	return t, mapErr(err, "")
}

// ListTokens returns every token, oldest first, ties by ID.
func (s *Store) ListTokens(ctx context.Context) ([]*linkwatch.Token, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+tokenColumns+` FROM tokens ORDER BY created_at, id COLLATE "C"`)
	if err != nil {
		return nil, mapErr(err, "")
	}
	tokens, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*linkwatch.Token, error) { return scanToken(row) })
	if err != nil {
		return nil, mapErr(err, "")
	}
	return tokens, nil
}

// DeleteToken deletes the token, or returns an ENOTFOUND error.
func (s *Store) DeleteToken(ctx context.Context, id string) error {
	tag, err := s.pool.Exec(ctx, "DELETE FROM tokens WHERE id = $1", id)
	if err != nil {
		return mapErr(err, "")
	}
	if tag.RowsAffected() == 0 {
		return tokenNotFound(id)
	}
	return nil
}
