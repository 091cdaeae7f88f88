package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/storage/sqlite"
)

var adminTokenLine = regexp.MustCompile(`Admin token \(shown once, keep it safe\): (\S+)`)

func adminTokens(t *testing.T, db string) []*linkwatch.Token {
	t.Helper()
	st, err := sqlite.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ts, err := st.ListTokens(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var out []*linkwatch.Token
	for _, tok := range ts {
		if tok.Allows(linkwatch.ScopeAdmin) {
			out = append(out, tok)
		}
	}
	return out
}

// TestTokensResetAdmin: on the database, with no server, every admin token
// is deleted and a new one is printed once; other tokens stay.
func TestTokensResetAdmin(t *testing.T) {
	db := filepath.Join(t.TempDir(), "r.db")
	st, err := openStore(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	old, _ := linkwatch.NewToken("bootstrap admin", []linkwatch.Scope{linkwatch.ScopeAdmin}, now)
	other, _ := linkwatch.NewToken("ops", []linkwatch.Scope{linkwatch.ScopeAdmin, linkwatch.ScopeRead}, now)
	read, _ := linkwatch.NewToken("ci", []linkwatch.Scope{linkwatch.ScopeRead}, now)
	for _, tok := range []*linkwatch.Token{old, other, read} {
		if err := st.CreateToken(t.Context(), tok); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()

	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"tokens", "reset-admin", "--db", db}, func(string) string { return "" }, &out, &errOut); err != nil {
		t.Fatalf("reset-admin: %v\n%s", err, errOut.String())
	}
	m := adminTokenLine.FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no admin token printed:\n%s", out.String())
	}
	admins := adminTokens(t, db)
	if len(admins) != 1 || admins[0].ID == old.ID || admins[0].ID == other.ID || !strings.Contains(m[1], admins[0].ID) {
		t.Fatalf("admin tokens after reset: %+v; printed %s", admins, m[1])
	}
	if !strings.Contains(errOut.String(), old.ID) || !strings.Contains(errOut.String(), other.ID) {
		t.Fatalf("deleted tokens not named:\n%s", errOut.String())
	}
	st2, err := sqlite.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	ts, _ := st2.ListTokens(t.Context())
	if len(ts) != 2 {
		t.Fatalf("%d tokens, want the new admin token and the read token", len(ts))
	}
}
