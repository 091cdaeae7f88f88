package prober

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func batchOf(ids ...string) ResultBatch {
	var b ResultBatch
	for _, id := range ids {
		b.Results = append(b.Results, WireResult{ID: id})
	}
	return b
}

func TestSpoolKeepsOrderAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	sp, err := OpenSpool(dir, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []ResultBatch{batchOf("a1", "a2"), batchOf("b1"), batchOf("c1")} {
		if err := sp.Append(b); err != nil {
			t.Fatal(err)
		}
	}
	// A crash mid-write leaves a temporary file; reopening discards it.
	os.WriteFile(filepath.Join(dir, "00000000000000000099.json.tmp"), []byte("{"), 0o600)
	sp, err = OpenSpool(dir, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for sp.Len() > 0 {
		b, seq, ok, err := sp.Oldest()
		if err != nil || !ok {
			t.Fatal(err, ok)
		}
		for _, r := range b.Results {
			got = append(got, r.ID)
		}
		if err := sp.Remove(seq); err != nil {
			t.Fatal(err)
		}
	}
	if want := "a1 a2 b1 c1"; joinIDs(got) != want {
		t.Fatalf("replayed %v, want %s", got, want)
	}
	if sp.Bytes() != 0 {
		t.Fatalf("empty spool holds %d bytes", sp.Bytes())
	}
	if err := sp.Append(batchOf("d1")); err != nil {
		t.Fatal(err)
	}
	if b, _, _, _ := sp.Oldest(); b.Results[0].ID != "d1" {
		t.Fatalf("after draining, new batches still come out: %+v", b)
	}
}

func joinIDs(ids []string) string {
	s := ""
	for i, id := range ids {
		if i > 0 {
			s += " "
		}
		s += id
	}
	return s
}

func TestSpoolIsBounded(t *testing.T) {
	sp, err := OpenSpool(t.TempDir(), 300)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	for ; n < 100; n++ {
		if err := sp.Append(batchOf("x")); errors.Is(err, ErrSpoolFull) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if n == 0 || n == 100 || sp.Bytes() > 300 {
		t.Fatalf("accepted %d batches, %d bytes, bound 300", n, sp.Bytes())
	}
}
