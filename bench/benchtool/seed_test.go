package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// A control plane that sheds creates now and then still gets every link.
func TestSeedRetriesShedRequests(t *testing.T) {
	var mu sync.Mutex
	calls, created := 0, map[string]bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls%3 != 0 {
			w.Header().Set("Retry-After", "0")
			http.Error(w, `{"error":{"code":"unavailable"}}`, http.StatusServiceUnavailable)
			return
		}
		created[string(b)] = true
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()
	if err := seed(srv.URL, "token", 20, "http://dest.example", ""); err != nil {
		t.Fatal(err)
	}
	if len(created) != 20 {
		t.Errorf("%d links created, want 20", len(created))
	}
}

func TestSeedGivesUpOnOtherErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusBadRequest)
	}))
	defer srv.Close()
	if err := seed(srv.URL, "token", 3, "http://dest.example", ""); err == nil {
		t.Error("seed against a server answering 400 returned nil")
	}
}
