package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/linkwatch/linkwatch"
)

const tokenColumns = "id, name, hash, scopes, regions, created_at"

func scanToken(row interface{ Scan(...any) error }) (*linkwatch.Token, error) {
	var t linkwatch.Token
	var scopes, regions string
	var created int64
	if err := row.Scan(&t.ID, &t.Name, &t.Hash, &scopes, &regions, &created); err != nil {
		return nil, err
	}
	t.Scopes = []linkwatch.Scope{}
	if scopes != "" {
		for _, sc := range strings.Split(scopes, ",") {
			t.Scopes = append(t.Scopes, linkwatch.Scope(sc))
		}
	}
	t.Regions = []string{}
	if regions != "" {
		t.Regions = strings.Split(regions, ",") // region names hold no commas
	}
	t.CreatedAt = fromMS(created)
	return &t, nil
}

func tokenNotFound(id string) error {
	return linkwatch.Errorf(linkwatch.ENOTFOUND, "token %q not found", id)
}

// CreateToken stores a new token; a taken ID is an ECONFLICT error.
func (s *Store) CreateToken(ctx context.Context, t *linkwatch.Token) error {
	s.uses.Add(1)
	scopes := make([]string, len(t.Scopes))
	for i, sc := range t.Scopes {
		scopes[i] = string(sc)
	}
	_, err := s.write.ExecContext(ctx, "INSERT INTO tokens ("+tokenColumns+") VALUES (?, ?, ?, ?, ?, ?)",
		t.ID, t.Name, t.Hash, strings.Join(scopes, ","), strings.Join(t.Regions, ","), ms(t.CreatedAt))
	return mapErr(err, "id")
}

// TokenByID returns the token, or an ENOTFOUND error.
func (s *Store) TokenByID(ctx context.Context, id string) (*linkwatch.Token, error) {
	s.uses.Add(1)
	t, err := scanToken(s.read.QueryRowContext(ctx, "SELECT "+tokenColumns+" FROM tokens WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, tokenNotFound(id)
	}
	return t, mapErr(err, "")
}

// ListTokens returns every token, oldest first, ties by ID.
func (s *Store) ListTokens(ctx context.Context) ([]*linkwatch.Token, error) {
	s.uses.Add(1)
	rows, err := s.read.QueryContext(ctx, "SELECT "+tokenColumns+" FROM tokens ORDER BY created_at, id")
	if err != nil {
		return nil, mapErr(err, "")
	}
	defer rows.Close()
	tokens := []*linkwatch.Token{}
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		tokens = append(tokens, t)
	}
	return tokens, mapErr(rows.Err(), "")
}

// DeleteToken deletes the token, or returns an ENOTFOUND error.
func (s *Store) DeleteToken(ctx context.Context, id string) error {
	s.uses.Add(1)
	res, err := s.write.ExecContext(ctx, "DELETE FROM tokens WHERE id = ?", id)
	if err != nil {
		return mapErr(err, "")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return tokenNotFound(id)
	}
	return nil
}
