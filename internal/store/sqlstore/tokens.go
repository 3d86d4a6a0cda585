package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/ctemhq/ctem/internal/store"
)

// CreateToken stores a token's hash.
func (s *Store) CreateToken(ctx context.Context, name, role, hash string) (store.Token, error) {
	tok := store.Token{Name: name, Role: role, CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
	err := s.w.QueryRowContext(ctx, `INSERT INTO api_tokens (name, role, hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
		name, role, hash, tok.CreatedAt).Scan(&tok.ID)
	if err != nil {
		return tok, fmt.Errorf("create token %q: %w", name, err)
	}
	return tok, nil
}

// TokenByHash finds a live token and records its use.
func (s *Store) TokenByHash(ctx context.Context, hash string) (store.Token, error) {
	var tok store.Token
	var created, used timeCol
	err := s.r.QueryRowContext(ctx, `SELECT id, name, role, created_at, last_used FROM api_tokens WHERE hash = $1 AND revoked_at IS NULL`, hash).
		Scan(&tok.ID, &tok.Name, &tok.Role, &created, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return tok, store.ErrNotFound
	}
	if err != nil {
		return tok, err
	}
	tok.CreatedAt, tok.LastUsed = created.T, used.ptr()
	now := time.Now().UTC()
	// Record use at most once a minute, to keep reads from becoming writes.
	if tok.LastUsed == nil || now.Sub(*tok.LastUsed) > time.Minute {
		_, _ = s.w.ExecContext(ctx, `UPDATE api_tokens SET last_used = $1 WHERE id = $2`, now, tok.ID)
	}
	return tok, nil
}

// ListTokens lists tokens, revoked ones too.
func (s *Store) ListTokens(ctx context.Context) ([]store.Token, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, name, role, created_at, last_used, revoked_at FROM api_tokens ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Token
	for rows.Next() {
		var tok store.Token
		var created, used, revoked timeCol
		if err := rows.Scan(&tok.ID, &tok.Name, &tok.Role, &created, &used, &revoked); err != nil {
			return nil, err
		}
		tok.CreatedAt, tok.LastUsed, tok.RevokedAt = created.T, used.ptr(), revoked.ptr()
		out = append(out, tok)
	}
	return out, rows.Err()
}

// RevokeToken revokes a token by name.
func (s *Store) RevokeToken(ctx context.Context, name string) error {
	res, err := s.w.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL`, time.Now().UTC(), name)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("token %q: %w", name, store.ErrNotFound)
	}
	return nil
}
