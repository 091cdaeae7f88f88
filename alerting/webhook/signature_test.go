package webhook

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

const testSecret = "whsec-0123456789abcdef-SIGNINGKEY"

var signedAt = time.Date(2023, 11, 14, 22, 13, 20, 0, time.UTC) // Unix 1700000000

func header(secret string, ts int64, body string) string {
	return "t=" + strconv.FormatInt(ts, 10) + "," + Sign([]byte(secret), ts, []byte(body))
}

func TestSignKnownAnswer(t *testing.T) {
	// Computed independently: printf '1700000000.{"id":"n1"}' | openssl dgst -sha256 -hmac whsec-0123456789abcdef-SIGNINGKEY
	const want = "v1=a555d43d156812cf233552d60458647b58cb9546e4fd1efef1046162926bc5e8"
	got := Sign([]byte(testSecret), 1700000000, []byte(`{"id":"n1"}`))
	if !strings.HasPrefix(got, "v1=") || len(got) != len("v1=")+64 {
		t.Fatalf("Sign = %q, want v1= and 64 hex digits", got)
	}
	if got != want {
		t.Errorf("Sign = %q, want %q", got, want)
	}
}

func TestVerify(t *testing.T) {
	const body = `{"id":"n1","kind":"firing"}`
	ts := signedAt.Unix()
	good := header(testSecret, ts, body)
	other := Sign([]byte("another-secret-of-16+bytes"), ts, []byte(body))
	tests := []struct {
		name   string
		secret string
		header string
		body   string
		now    time.Time
		tol    time.Duration
		want   error // nil for accepted
	}{
		{"genuine", testSecret, good, body, signedAt, 0, nil},
		{"genuine, receiver clock 4 min ahead", testSecret, good, body, signedAt.Add(4 * time.Minute), 0, nil},
		{"genuine, receiver clock 4 min behind", testSecret, good, body, signedAt.Add(-4 * time.Minute), 0, nil},
		{"at the edge of the tolerance", testSecret, good, body, signedAt.Add(time.Minute), time.Minute, nil},
		{"rotation: the second signature matches", testSecret, "t=1700000000," + other + "," + Sign([]byte(testSecret), ts, []byte(body)), body, signedAt, 0, nil},
		{"upper-case hex", testSecret, "t=1700000000,v1=" + strings.ToUpper(strings.TrimPrefix(Sign([]byte(testSecret), ts, []byte(body)), "v1=")), body, signedAt, 0, nil},
		{"unknown schemes are ignored", testSecret, good + ",v0=deadbeef,v2=xyz", body, signedAt, 0, nil},
		{"spaces around elements", testSecret, " t=1700000000 , " + Sign([]byte(testSecret), ts, []byte(body)) + " ", body, signedAt, 0, nil},

		{"tampered body", testSecret, good, `{"id":"n1","kind":"resolved"}`, signedAt, 0, ErrSignatureMismatch},
		{"body with a trailing newline", testSecret, good, body + "\n", signedAt, 0, ErrSignatureMismatch},
		{"wrong secret", "not-the-secret-we-signed-with", good, body, signedAt, 0, ErrSignatureMismatch},
		{"timestamp changed", testSecret, strings.Replace(good, "t=1700000000", "t=1700000001", 1), body, signedAt, 0, ErrSignatureMismatch},
		{"only another secret's signature", testSecret, "t=1700000000," + other, body, signedAt, 0, ErrSignatureMismatch},
		{"stale: replayed 6 min later", testSecret, good, body, signedAt.Add(6 * time.Minute), 0, ErrStaleTimestamp},
		{"stale: beyond a custom tolerance", testSecret, good, body, signedAt.Add(61 * time.Second), time.Minute, ErrStaleTimestamp},
		{"from the future", testSecret, good, body, signedAt.Add(-6 * time.Minute), 0, ErrStaleTimestamp},
		{"no secret", "", good, body, signedAt, 0, ErrNoSecret},

		{"empty header", testSecret, "", body, signedAt, 0, ErrMalformedHeader},
		{"no timestamp", testSecret, Sign([]byte(testSecret), ts, []byte(body)), body, signedAt, 0, ErrMalformedHeader},
		{"no signature", testSecret, "t=1700000000", body, signedAt, 0, ErrMalformedHeader},
		{"only other schemes", testSecret, "t=1700000000,v0=abc", body, signedAt, 0, ErrMalformedHeader},
		{"two timestamps", testSecret, good + ",t=1700000000", body, signedAt, 0, ErrMalformedHeader},
		{"signed timestamp", testSecret, strings.Replace(good, "t=", "t=+", 1), body, signedAt, 0, ErrMalformedHeader},
		{"negative timestamp", testSecret, "t=-1," + Sign([]byte(testSecret), -1, []byte(body)), body, signedAt, 0, ErrMalformedHeader},
		{"timestamp overflows", testSecret, "t=99999999999999999999," + Sign([]byte(testSecret), ts, []byte(body)), body, signedAt, 0, ErrMalformedHeader},
		{"short signature", testSecret, "t=1700000000,v1=abcd", body, signedAt, 0, ErrMalformedHeader},
		{"signature not hex", testSecret, "t=1700000000,v1=" + strings.Repeat("zz", 32), body, signedAt, 0, ErrMalformedHeader},
		{"trailing comma", testSecret, good + ",", body, signedAt, 0, ErrMalformedHeader},
		{"element without =", testSecret, good + ",v1", body, signedAt, 0, ErrMalformedHeader},
		{"huge header", testSecret, good + strings.Repeat(",v0=x", 1000), body, signedAt, 0, ErrMalformedHeader},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Verify([]byte(tt.secret), tt.header, []byte(tt.body), tt.now, tt.tol)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Verify: %v, want success", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify: %v, want %v", err, tt.want)
			}
			if tt.secret != "" && strings.Contains(err.Error(), tt.secret) {
				t.Errorf("Verify's error %q contains the secret", err)
			}
		})
	}
}

// FuzzVerify feeds Verify arbitrary headers and bodies. Whatever it is
// given, it must not panic, must fail only with its documented errors, and
// may accept a header only if it really carries the body's signature at a
// timestamp within the tolerance. Genuine signatures of any body and
// timestamp must verify, and the same header must not verify another body.
func FuzzVerify(f *testing.F) {
	secret := []byte(testSecret)
	now := signedAt
	body := `{"id":"n1"}`
	good := header(testSecret, now.Unix(), body)
	for _, h := range []string{
		good, good + "," + good, " " + good + " ", good + ",v0=abc",
		"", ",", "=", "t=", "v1=", "t=1700000000", "t=1700000000,v1=zz",
		"t=1700000000,v1=" + strings.Repeat("0", 64),
		"t=+1700000000," + Sign(secret, now.Unix(), []byte(body)),
		"t=-1,v1=00", "t=99999999999999999999,v1=00", "t=1,t=2,v1=00",
		"t=1700000000,v1=" + strings.Repeat("A", 64) + ",v1=" + strings.Repeat("a", 63),
	} {
		f.Add(h, []byte(body), now.Unix())
	}
	f.Add("t=0,v1=", []byte{}, int64(0))
	f.Add("t=9223372036854775807", []byte("\x00\xff"), int64(9223372036854775807))

	f.Fuzz(func(t *testing.T, h string, b []byte, ts int64) {
		err := Verify(secret, h, b, now, time.Minute)
		switch {
		case err == nil:
			if !carriesSignature(h, b, secret, now, time.Minute) {
				t.Fatalf("Verify accepted %q for body %q", h, b)
			}
		case !errors.Is(err, ErrMalformedHeader) && !errors.Is(err, ErrSignatureMismatch) && !errors.Is(err, ErrStaleTimestamp):
			t.Fatalf("Verify(%q): undocumented error %v", h, err)
		}

		if ts < 0 {
			return // headers carry Unix seconds since 1970 only
		}
		genuine := "t=" + strconv.FormatInt(ts, 10) + "," + Sign(secret, ts, b)
		if err := Verify(secret, genuine, b, time.Unix(ts, 0), 0); err != nil {
			t.Fatalf("Verify rejected a genuine signature at %d: %v", ts, err)
		}
		tampered := append([]byte("x"), b...)
		if err := Verify(secret, genuine, tampered, time.Unix(ts, 0), 0); !errors.Is(err, ErrSignatureMismatch) {
			t.Fatalf("Verify of a tampered body: %v, want ErrSignatureMismatch", err)
		}
	})
}

// carriesSignature is an independent, simple-minded reading of a header:
// some element is "t=<digits>" within tol of now, and some element is the
// v1 signature of body at that timestamp.
func carriesSignature(h string, body, secret []byte, now time.Time, tol time.Duration) bool {
	var ts []int64
	var elems []string
	for _, e := range strings.Split(h, ",") {
		e = strings.TrimSpace(e)
		elems = append(elems, e)
		if v, ok := strings.CutPrefix(e, "t="); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 || strings.HasPrefix(v, "+") {
				return false
			}
			ts = append(ts, n)
		}
	}
	if len(ts) != 1 {
		return false
	}
	if d := time.Unix(ts[0], 0).Sub(now); d > tol || d < -tol {
		return false
	}
	want := Sign(secret, ts[0], body)
	for _, e := range elems {
		if strings.EqualFold(e, want) {
			return true
		}
	}
	return false
}
