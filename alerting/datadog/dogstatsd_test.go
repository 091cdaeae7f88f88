package datadog

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/DataDog/datadog-go/v5/statsd"
)

// datagram is one parsed DogStatsD message.
type datagram struct {
	Kind   string // "metric", "event" or "service_check"
	Name   string // metric or service check name, event title
	Value  string // metric value
	Type   string // metric type: g, c, d, h, ms, s
	Text   string // event text, service check message
	Status int    // service check status
	Tags   []string
	Fields map[string]string // one-letter fields: k, t, d, p, s, h, c, e…
}

func (d datagram) hasTag(tag string) bool { return slices.Contains(d.Tags, tag) }

// parseDatagram parses one message of the three DogStatsD kinds:
//
//	metric:value|type[|@rate][|#tags][|c:container]
//	_e{title_len,text_len}:title|text[|d:ts][|h:host][|k:key][|p:prio][|s:source][|t:type][|#tags]
//	_sc|name|status[|d:ts][|h:host][|#tags][|m:message]
func parseDatagram(line string) (datagram, error) {
	d := datagram{Fields: map[string]string{}}
	var rest []string
	switch {
	case strings.HasPrefix(line, "_e{"):
		d.Kind = "event"
		head, body, ok := strings.Cut(line[len("_e{"):], "}:")
		if !ok {
			return d, errors.New("event without }:")
		}
		ts, xs, ok := strings.Cut(head, ",")
		tl, err1 := strconv.Atoi(ts)
		xl, err2 := strconv.Atoi(xs)
		if !ok || err1 != nil || err2 != nil || tl+1+xl > len(body) || body[tl] != '|' {
			return d, fmt.Errorf("event lengths %q do not match %q", head, body)
		}
		d.Name, d.Text = body[:tl], strings.ReplaceAll(body[tl+1:tl+1+xl], `\n`, "\n")
		if r := body[tl+1+xl:]; r != "" {
			if r[0] != '|' {
				return d, fmt.Errorf("event text longer than announced: %q", r)
			}
			rest = strings.Split(r[1:], "|")
		}
	case strings.HasPrefix(line, "_sc|"):
		d.Kind = "service_check"
		parts := strings.Split(line, "|")
		if len(parts) < 3 {
			return d, errors.New("service check without status")
		}
		d.Name = parts[1]
		s, err := strconv.Atoi(parts[2])
		if err != nil || s < 0 || s > 3 {
			return d, fmt.Errorf("service check status %q", parts[2])
		}
		d.Status, rest = s, parts[3:]
	default:
		d.Kind = "metric"
		parts := strings.Split(line, "|")
		name, value, ok := strings.Cut(parts[0], ":")
		if !ok || len(parts) < 2 || name == "" {
			return d, fmt.Errorf("metric %q is not name:value|type", line)
		}
		if _, err := strconv.ParseFloat(value, 64); err != nil {
			return d, fmt.Errorf("metric value %q: %v", value, err)
		}
		d.Name, d.Value, d.Type, rest = name, value, parts[1], parts[2:]
	}
	for _, f := range rest {
		switch {
		case strings.HasPrefix(f, "#"):
			d.Tags = strings.Split(f[1:], ",")
		case strings.HasPrefix(f, "@"):
			d.Fields["@"] = f[1:]
		case d.Kind == "service_check" && strings.HasPrefix(f, "m:"):
			d.Text = strings.NewReplacer(`\n`, "\n", `m\:`, "m:").Replace(f[2:])
		default:
			k, v, ok := strings.Cut(f, ":")
			if !ok || k == "" {
				return d, fmt.Errorf("field %q in %q", f, line)
			}
			d.Fields[k] = v
		}
	}
	return d, nil
}

// agent is a fake DataDog Agent: a socket DogStatsD datagrams arrive on.
type agent struct {
	t    *testing.T
	conn net.PacketConn
	addr string // for Config.Addr
	got  []datagram
}

func listenUDP(t *testing.T) *agent {
	t.Helper()
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &agent{t: t, conn: conn, addr: conn.LocalAddr().String()}
}

func listenUnixgram(t *testing.T) *agent {
	t.Helper()
	path := t.TempDir() + "/dsd.sock"
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &agent{t: t, conn: conn, addr: unixPrefix + path}
}

// read waits for datagrams until n messages have arrived since the last read
// and returns them. The deadline only bounds a failing test; a passing one
// returns as soon as the messages are in.
func (a *agent) read(n int) []datagram {
	a.t.Helper()
	var out []datagram
	buf := make([]byte, 65536)
	if err := a.conn.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		a.t.Fatal(err)
	}
	for len(out) < n {
		k, _, err := a.conn.ReadFrom(buf)
		if err != nil {
			a.t.Fatalf("got %d of %d DogStatsD messages: %v (so far: %+v)", len(out), n, err, out)
		}
		for line := range strings.SplitSeq(strings.TrimRight(string(buf[:k]), "\n"), "\n") {
			d, err := parseDatagram(line)
			if err != nil {
				a.t.Fatalf("unparseable datagram %q: %v", line, err)
			}
			out = append(out, d)
		}
	}
	a.got = append(a.got, out...)
	return out
}

// find returns the one message of kind and name among ds.
func find(t *testing.T, ds []datagram, kind, name string) datagram {
	t.Helper()
	var found []datagram
	for _, d := range ds {
		if d.Kind == kind && d.Name == name {
			found = append(found, d)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one %s %s, got %d in %+v", kind, name, len(found), ds)
	}
	return found[0]
}

// testOptions make datagrams arrive promptly and only ours: no client
// telemetry, no origin detection, short flush and aggregation intervals.
func testOptions() []statsd.Option {
	return []statsd.Option{
		statsd.WithoutTelemetry(),
		statsd.WithoutOriginDetection(),
		statsd.WithBufferFlushInterval(5 * time.Millisecond),
		statsd.WithAggregationInterval(5 * time.Millisecond),
	}
}

// newTestClient returns a Client sending to a; datadog-go's DD_* variables are
// cleared so the tags are only ours.
func newTestClient(t *testing.T, cfg Config) *Client {
	t.Helper()
	for _, v := range []string{"DD_ENV", "DD_SERVICE", "DD_VERSION", "DD_ENTITY_ID", "DD_EXTERNAL_ENV", "DD_CARDINALITY", "DATADOG_CARDINALITY"} {
		t.Setenv(v, "")
	}
	c, err := newClient(cfg, testOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestParseDatagram(t *testing.T) {
	tests := []struct {
		line string
		want datagram
	}{
		{"linkwatch.check.duration:12.5|d|#region:eu,link:a", datagram{Kind: "metric", Name: "linkwatch.check.duration", Value: "12.5", Type: "d", Tags: []string{"region:eu", "link:a"}, Fields: map[string]string{}}},
		{"x:1|g|@0.5", datagram{Kind: "metric", Name: "x", Value: "1", Type: "g", Fields: map[string]string{"@": "0.5"}}},
		{`_e{5,6}:title|a|b\nc|k:key|t:error|#rule:x`, datagram{Kind: "event", Name: "title", Text: "a|b\nc", Tags: []string{"rule:x"}, Fields: map[string]string{"k": "key", "t": "error"}}},
		{`_sc|linkwatch.link.up|2|d:5|#link:a|m:dns: no m\:atch`, datagram{Kind: "service_check", Name: "linkwatch.link.up", Status: 2, Text: "dns: no m:atch", Tags: []string{"link:a"}, Fields: map[string]string{"d": "5"}}},
	}
	for _, tt := range tests {
		got, err := parseDatagram(tt.line)
		if err != nil {
			t.Fatalf("%q: %v", tt.line, err)
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%q:\n got %+v\nwant %+v", tt.line, got, tt.want)
		}
	}
	for _, bad := range []string{"nocolon|g", "x:abc|g", "_e{5,99}:title|short", "_sc|name", "_sc|name|7"} {
		if _, err := parseDatagram(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}
