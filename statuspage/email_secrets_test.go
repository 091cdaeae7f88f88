package statuspage

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
)

// TestSendErrorsHoldNoPassword: an SMTP server that echoes the AUTH
// credentials (the password, and the base64 PLAIN response holding it) in
// its refusal does not put them in the send error, the logs or the stored
// last_error, all of which print that error.
func TestSendErrorsHoldNoPassword(t *testing.T) {
	const user, password = "status", "pW0rd-sm7p-S3CRET-zxcv"
	plain := base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + password))
	for _, tc := range []struct {
		code      string
		permanent bool
	}{{"535 5.7.8", true}, {"454 4.7.0", false}} {
		t.Run(tc.code, func(t *testing.T) {
			addr := scriptedSMTP(t, func(c string) string {
				switch c {
				case "EHLO":
					return "250-scripted\r\n250 AUTH PLAIN"
				case "AUTH":
					return tc.code + " refused " + plain + " (" + password + ")"
				}
				return ""
			})
			m := testMailer(t, addr)
			m.cfg.Username, m.cfg.Password = user, password
			err := m.send(context.Background(), "reader@example.com", []byte("x"))
			if err == nil || permanentFailure(err) != tc.permanent {
				t.Fatalf("send: %v (permanent %v), want permanent %v", err, permanentFailure(err), tc.permanent)
			}
			for _, s := range []string{password, plain} {
				for i := 0; i+6 <= len(s); i++ {
					if strings.Contains(err.Error(), s[i:i+6]) {
						t.Errorf("error holds %q: %v", s[i:i+6], err)
					}
				}
			}
		})
	}
}
