package edge

import (
	"net"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// MaxConns is the default cap on open connections: about 64 MB of buffers
// and goroutine stacks at worst, well within the file descriptors a process
// gets.
const MaxConns = 4096

// LimitListener accepts at most n connections open at once. When n are
// open, Accept waits for one to close: the connections over the cap wait in
// the kernel's accept queue, costing the process nothing, and the kernel
// refuses new ones once that queue is full. open, when not nil, follows the
// number of open connections.
func LimitListener(ln net.Listener, n int, open prometheus.Gauge) net.Listener {
	return &limitListener{Listener: ln, sem: make(chan struct{}, n), done: make(chan struct{}), open: open}
}

type limitListener struct {
	net.Listener
	sem       chan struct{}
	open      prometheus.Gauge
	closeOnce sync.Once
	done      chan struct{}
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.sem <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.sem
		return nil, err
	}
	if l.open != nil {
		l.open.Inc()
	}
	return &limitConn{Conn: c, release: func() {
		if l.open != nil {
			l.open.Dec()
		}
		<-l.sem
	}}, nil
}

func (l *limitListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
