package prober

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
)

// testCA is a certificate authority for test servers.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newTestCA(t testing.TB) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "Linkwatch Test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool}
}

// leaf issues a server certificate for names (IP addresses or DNS names)
// valid from notBefore to notAfter.
func (ca *testCA) leaf(t testing.TB, notBefore, notAfter time.Time, names ...string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: names[0]},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// tlsServer starts an HTTPS server presenting cert.
func tlsServer(t testing.TB, cert tls.Certificate) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, welcome)
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the failed handshakes are the point
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

func TestCheckTLS(t *testing.T) {
	ca := newTestCA(t)
	now := time.Now()
	soon := now.Add(72 * time.Hour).Truncate(time.Second)
	dns := newFakeDNS(t, map[string]string{"secure.test": "127.0.0.1"})
	tests := []struct {
		name      string
		cert      tls.Certificate
		host      string // "" is 127.0.0.1
		trustCA   bool
		class     string
		errHas    string
		expiresAt time.Time
	}{
		{name: "expiring soon", cert: ca.leaf(t, now.Add(-time.Hour), soon, "127.0.0.1"), trustCA: true, expiresAt: soon},
		{name: "by name", cert: ca.leaf(t, now.Add(-time.Hour), soon, "secure.test"), host: "secure.test", trustCA: true, expiresAt: soon},
		{name: "expired", cert: ca.leaf(t, now.Add(-48*time.Hour), now.Add(-24*time.Hour), "127.0.0.1"), trustCA: true,
			class: linkwatch.ClassTLS, errHas: "expired"},
		{name: "not yet valid", cert: ca.leaf(t, now.Add(24*time.Hour), now.Add(48*time.Hour), "127.0.0.1"), trustCA: true,
			class: linkwatch.ClassTLS},
		{name: "unknown authority", cert: ca.leaf(t, now.Add(-time.Hour), soon, "127.0.0.1"), trustCA: false,
			class: linkwatch.ClassTLS, errHas: "unknown authority"},
		{name: "wrong host", cert: ca.leaf(t, now.Add(-time.Hour), soon, "other.example"), trustCA: true,
			class: linkwatch.ClassTLS, errHas: "127.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := tlsServer(t, tt.cert)
			u := mustURL(t, srv.URL)
			if tt.host != "" {
				u.Host = net.JoinHostPort(tt.host, u.Port())
			}
			c := testChecker(t, func(cfg *Config) {
				cfg.Resolver = dns.resolver()
				if tt.trustCA {
					cfg.RootCAs = ca.pool
				}
			})
			res := c.CheckMonitor(context.Background(), monitor(u.String()+"/", linkwatch.Expectation{}))
			if res.Class != tt.class {
				t.Fatalf("class %q (%s), want %q", res.Class, res.Error, tt.class)
			}
			if tt.class != "" {
				if !strings.Contains(res.Error, tt.errHas) {
					t.Errorf("Error %q does not contain %q", res.Error, tt.errHas)
				}
				return
			}
			if !res.CertExpiry.Equal(tt.expiresAt) {
				t.Errorf("CertExpiry = %v, want %v", res.CertExpiry, tt.expiresAt)
			}
			if p := res.Phases; p.TLS <= 0 || p.Connect <= 0 {
				t.Errorf("phases of a fresh TLS connection %+v", p)
			}
		})
	}
}
