package prober

import (
	"context"
	"encoding/binary"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/linkwatch/linkwatch"
)

// fakeDNS is a tiny DNS server on a loopback UDP port that answers A and
// AAAA queries from a fixed table and NXDOMAIN for every other name.
type fakeDNS struct {
	conn    net.PacketConn
	names   map[string]netip.Addr
	queries atomic.Int64
}

func newFakeDNS(t testing.TB, names map[string]string) *fakeDNS {
	t.Helper()
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeDNS{conn: conn, names: map[string]netip.Addr{}}
	for name, ip := range names {
		s.names[name] = netip.MustParseAddr(ip)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 1500)
		for {
			n, addr, err := conn.ReadFrom(buf)
			if err != nil {
				return
			}
			s.queries.Add(1)
			if resp := s.answer(buf[:n]); resp != nil {
				conn.WriteTo(resp, addr)
			}
		}
	}()
	t.Cleanup(func() { conn.Close(); <-done })
	return s
}

// resolver returns a pure-Go resolver that asks only this server.
func (s *fakeDNS) resolver() *net.Resolver {
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "udp", s.conn.LocalAddr().String())
		},
	}
}

// answer builds the response to query q (RFC 1035 §4.1), or nil to drop it.
func (s *fakeDNS) answer(q []byte) []byte {
	if len(q) < 12 {
		return nil
	}
	var labels []string
	i := 12
	for i < len(q) && q[i] != 0 {
		n := int(q[i])
		if i+1+n > len(q) {
			return nil
		}
		labels = append(labels, string(q[i+1:i+1+n]))
		i += 1 + n
	}
	i++ // the root label
	if i+4 > len(q) {
		return nil
	}
	qtype := binary.BigEndian.Uint16(q[i:])
	resp := append([]byte(nil), q[:i+4]...) // header and question; the query's EDNS record is dropped
	resp[2] = 0x85                          // response, authoritative, recursion desired
	resp[3] = 0x80                          // recursion available, no error
	binary.BigEndian.PutUint16(resp[4:], 1) // one question
	binary.BigEndian.PutUint16(resp[6:], 0)
	binary.BigEndian.PutUint32(resp[8:], 0)
	ip, ok := s.names[strings.ToLower(strings.Join(labels, "."))]
	switch {
	case !ok:
		resp[3] |= 3 // NXDOMAIN
	case qtype == 1 && ip.Is4(), qtype == 28 && ip.Is6():
		binary.BigEndian.PutUint16(resp[6:], 1)
		resp = append(resp, 0xc0, 12) // the name, compressed: the question's
		resp = binary.BigEndian.AppendUint16(resp, qtype)
		resp = binary.BigEndian.AppendUint16(resp, 1)  // class IN
		resp = binary.BigEndian.AppendUint32(resp, 60) // TTL
		resp = binary.BigEndian.AppendUint16(resp, uint16(ip.BitLen()/8))
		resp = append(resp, ip.AsSlice()...)
	}
	return resp
}

func TestGuard(t *testing.T) {
	d := newDestinationServer(t)
	port := mustURL(t, d.URL).Port()
	dns := newFakeDNS(t, map[string]string{
		"rebind.test":   "127.0.0.1",
		"metadata.test": "169.254.169.254",
		"mapped.test":   "::ffff:10.0.0.1",
	})
	tests := []struct {
		name         string
		url          string
		allowPrivate bool
		class        string
		errHas       string
	}{
		{"loopback IP", d.URL + "/ok", false, linkwatch.ClassBlocked, "loopback"},
		{"loopback IP allowed", d.URL + "/ok", true, "", ""},
		{"name resolving to loopback", "http://rebind.test:" + port + "/ok", false, linkwatch.ClassBlocked, "resolves to 127.0.0.1"},
		{"name resolving to loopback allowed", "http://rebind.test:" + port + "/ok", true, "", ""},
		{"metadata IP", "http://169.254.169.254/latest/meta-data/", false, linkwatch.ClassBlocked, "cloud metadata"},
		{"metadata IP, IPv4-mapped", "http://[::ffff:169.254.169.254]/latest/meta-data/", false, linkwatch.ClassBlocked, "cloud metadata"},
		{"metadata IPv6", "http://[fd00:ec2::254]/latest/meta-data/", false, linkwatch.ClassBlocked, "cloud metadata"},
		{"name resolving to metadata", "http://metadata.test/", false, linkwatch.ClassBlocked, "cloud metadata"},
		{"name resolving to IPv4-mapped private", "http://mapped.test/", false, linkwatch.ClassBlocked, "private"},
		{"unresolvable name", "http://nowhere.test/", false, linkwatch.ClassDNS, "no such host"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testChecker(t, func(cfg *Config) {
				cfg.AllowPrivate = tt.allowPrivate
				cfg.Resolver = dns.resolver()
			})
			res := c.CheckMonitor(context.Background(), monitor(tt.url, linkwatch.Expectation{}))
			if res.Class != tt.class || !strings.Contains(res.Error, tt.errHas) {
				t.Errorf("class %q error %q, want %q containing %q", res.Class, res.Error, tt.class, tt.errHas)
			}
		})
	}
}

// TestGuardPublicURL checks that the platform's own host and port stay
// reachable on a loopback address, and nothing else there.
func TestGuardPublicURL(t *testing.T) {
	var landing string
	mux := http.NewServeMux()
	mux.HandleFunc("/spring", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, landing, http.StatusFound) })
	mux.HandleFunc("/landing", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(welcome)) })
	self, _ := startServer(t, mux)
	other := newDestinationServer(t)
	c := testChecker(t, func(cfg *Config) {
		cfg.AllowPrivate = false
		cfg.PublicURL = mustURL(t, self.URL)
	})
	link := &linkwatch.Link{ID: 1, Slug: "spring", RedirectCode: 302}

	landing = self.URL + "/landing"
	link.Destination = landing
	res := c.CheckLink(context.Background(), Assign(link, c.cfg.PublicURL))
	if !res.OK() || len(res.Hops) != 2 {
		t.Errorf("link to the platform itself: class %q (%s), hops %v", res.Class, res.Error, res.Hops)
	}

	landing = other.URL + "/ok" // another port on the same loopback host
	link.Destination = landing
	res = c.CheckLink(context.Background(), Assign(link, c.cfg.PublicURL))
	if res.Class != linkwatch.ClassBlocked || res.Step != linkwatch.StepDestination || res.Hops[0].Status != 302 {
		t.Errorf("link to another loopback port: class %q step %q (%s), hops %v", res.Class, res.Step, res.Error, res.Hops)
	}
}

func TestBlockedReason(t *testing.T) {
	tests := []struct {
		ip     string
		reason string
	}{
		{"8.8.8.8", ""},
		{"93.184.216.34", ""},
		{"2606:4700::1111", ""},
		{"::ffff:8.8.8.8", ""},
		{"64:ff9b::808:808", ""}, // NAT64 of 8.8.8.8
		{"100.63.255.255", ""},
		{"100.128.0.0", ""},
		{"172.32.0.1", ""},
		{"127.0.0.1", "loopback"},
		{"127.255.255.254", "loopback"},
		{"::1", "loopback"},
		{"::ffff:127.0.0.1", "loopback"},
		{"64:ff9b::7f00:1", "loopback"},
		{"10.1.2.3", "private"},
		{"172.16.0.1", "private"},
		{"172.31.255.255", "private"},
		{"192.168.1.1", "private"},
		{"fc00::1", "private"},
		{"fd12:3456::1", "private"},
		{"::ffff:192.168.0.1", "private"},
		{"169.254.1.1", "link-local"},
		{"fe80::1", "link-local"},
		{"fe80::1%eth0", "link-local"},
		{"0.0.0.0", "unspecified"},
		{"0.1.2.3", "unspecified"},
		{"::", "unspecified"},
		{"224.0.0.1", "multicast"},
		{"ff02::1", "multicast"},
		{"255.255.255.255", "broadcast"},
		{"100.64.0.1", "shared (CGNAT)"},
		{"100.127.255.255", "shared (CGNAT)"},
		{"169.254.169.254", "cloud metadata"},
		{"::ffff:169.254.169.254", "cloud metadata"},
		{"fd00:ec2::254", "cloud metadata"},
		{"100.100.100.200", "cloud metadata"},
	}
	for _, tt := range tests {
		if got := blockedReason(netip.MustParseAddr(tt.ip)); got != tt.reason {
			t.Errorf("blockedReason(%s) = %q, want %q", tt.ip, got, tt.reason)
		}
	}
}
