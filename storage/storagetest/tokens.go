package storagetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
)

func createToken(t *testing.T, s Store, tok *linkwatch.Token) *linkwatch.Token {
	t.Helper()
	if err := s.CreateToken(t.Context(), tok); err != nil {
		t.Fatalf("CreateToken(%q): %v", tok.ID, err)
	}
	return tok
}

func testTokenRoundTrip(t *testing.T, s Store) {
	tests := []*linkwatch.Token{
		{ID: "abcd2345", Name: "ci deploys", Hash: linkwatch.HashSecret("lw_abcd2345_x"), Scopes: []linkwatch.Scope{linkwatch.ScopeRead, linkwatch.ScopeProber}, CreatedAt: created()},
		{ID: "efgh6789", Name: "", Hash: linkwatch.HashSecret("y"), Scopes: []linkwatch.Scope{}, CreatedAt: created()},
		{ID: "ijkm2345", Name: "eu prober", Hash: linkwatch.HashSecret("z"), Scopes: []linkwatch.Scope{linkwatch.ScopeProber},
			Regions: []string{"eu-west", "EU.central_2"}, CreatedAt: created()},
	}
	for _, tok := range tests {
		want := *tok
		want.CreatedAt = tok.CreatedAt.Truncate(time.Millisecond).UTC()
		if want.Regions == nil {
			want.Regions = []string{} // no regions read back as empty, never nil
		}
		createToken(t, s, tok)
		got, err := s.TokenByID(t.Context(), tok.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(*got, want) {
			t.Errorf("TokenByID(%q):\n got %#v\nwant %#v", tok.ID, got, &want)
		}
	}
}

func testTokenErrors(t *testing.T, s Store) {
	createToken(t, s, &linkwatch.Token{ID: "abcd2345", Name: "first", Hash: []byte{1}, Scopes: []linkwatch.Scope{linkwatch.ScopeAdmin}, CreatedAt: created()})
	err := s.CreateToken(t.Context(), &linkwatch.Token{ID: "abcd2345", Name: "second", Hash: []byte{2}, Scopes: []linkwatch.Scope{}, CreatedAt: created()})
	wantCode(t, "CreateToken with a taken id", err, linkwatch.ECONFLICT)
	_, err = s.TokenByID(t.Context(), "zzzz9999")
	wantCode(t, "TokenByID of a missing token", err, linkwatch.ENOTFOUND)
	wantCode(t, "DeleteToken of a missing token", s.DeleteToken(t.Context(), "zzzz9999"), linkwatch.ENOTFOUND)
	if err := s.DeleteToken(t.Context(), "abcd2345"); err != nil {
		t.Fatalf("DeleteToken: %v", err)
	}
	_, err = s.TokenByID(t.Context(), "abcd2345")
	wantCode(t, "TokenByID after DeleteToken", err, linkwatch.ENOTFOUND)
	wantCode(t, "DeleteToken twice", s.DeleteToken(t.Context(), "abcd2345"), linkwatch.ENOTFOUND)
}

func testTokenList(t *testing.T, s Store) {
	list := func() []string {
		t.Helper()
		toks, err := s.ListTokens(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		ids := []string{}
		for _, tok := range toks {
			ids = append(ids, tok.ID)
		}
		return ids
	}
	if got := list(); len(got) != 0 {
		t.Errorf("ListTokens of an empty store = %v", got)
	}
	// Ordered by creation time, then by id.
	for _, tok := range []struct {
		id string
		at time.Duration
	}{{"cccc", 0}, {"aaaa", time.Hour}, {"bbbb", 0}, {"dddd", -time.Hour}} {
		createToken(t, s, &linkwatch.Token{ID: tok.id, Name: tok.id, Hash: []byte(tok.id), Scopes: []linkwatch.Scope{linkwatch.ScopeRead}, CreatedAt: created().Add(tok.at)})
	}
	if got, want := list(), []string{"dddd", "bbbb", "cccc", "aaaa"}; !reflect.DeepEqual(got, want) {
		t.Errorf("ListTokens = %v, want %v", got, want)
	}
}

// testTokenRegions: a token's regions come back in order, from every read,
// and a token stored without them reads back with none.
func testTokenRegions(t *testing.T, s Store) {
	regions := []string{"us-east", "eu-west", "ap.south_1"}
	createToken(t, s, &linkwatch.Token{ID: "prob2345", Name: "p", Hash: []byte{1}, Scopes: []linkwatch.Scope{linkwatch.ScopeProber}, Regions: regions, CreatedAt: created()})
	createToken(t, s, &linkwatch.Token{ID: "read2345", Name: "r", Hash: []byte{2}, Scopes: []linkwatch.Scope{linkwatch.ScopeRead}, CreatedAt: created()})
	got, err := s.TokenByID(t.Context(), "prob2345")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Regions, regions) || !got.MayReport("eu-west") || got.MayReport("eu-north") {
		t.Errorf("TokenByID regions = %#v", got.Regions)
	}
	list, err := s.ListTokens(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string][]string{}
	for _, tok := range list {
		byID[tok.ID] = tok.Regions
	}
	if want := map[string][]string{"prob2345": regions, "read2345": {}}; !reflect.DeepEqual(byID, want) {
		t.Errorf("ListTokens regions = %#v, want %#v", byID, want)
	}
}
