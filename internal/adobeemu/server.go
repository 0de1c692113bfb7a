package adobeemu

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// Server is an Emulator listening on a TCP address.
type Server struct {
	emu  *Emulator
	srv  *http.Server
	url  string
	stop func() bool
	done chan struct{}

	closeOnce sync.Once
	closeErr  error
}

// Start creates an Emulator with opts and serves it on addr (for example
// "127.0.0.1:0" for a free port) until Close is called or ctx is done.
func Start(ctx context.Context, addr string, opts Options) (*Server, error) {
	emu, err := New(opts)
	if err != nil {
		return nil, err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("adobeemu: listening on %s: %w", addr, err)
	}
	s := &Server{
		emu:  emu,
		srv:  &http.Server{Handler: emu, ReadHeaderTimeout: 10 * time.Second},
		url:  "http://" + ln.Addr().String(),
		done: make(chan struct{}),
	}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln) // returns http.ErrServerClosed after Close
	}()
	s.stop = context.AfterFunc(ctx, func() { _ = s.shutdown() })
	return s, nil
}

// URL is the server's root URL, e.g. "http://127.0.0.1:8090".
func (s *Server) URL() string { return s.url }

// FlowURL is the Flow Service base URL: URL() + "/data/foundation/flowservice".
func (s *Server) FlowURL() string { return s.url + FlowBasePath }

// IMSURL is the IMS base URL (tokens at IMSURL() + "/ims/token/v3"): URL().
func (s *Server) IMSURL() string { return s.url }

// Emulator returns the emulator being served.
func (s *Server) Emulator() *Emulator { return s.emu }

// Close stops the server: the listener and all connections are closed, which
// also ends hanging requests. It is safe to call more than once.
func (s *Server) Close() error {
	s.stop()
	return s.shutdown()
}

func (s *Server) shutdown() error {
	s.closeOnce.Do(func() {
		err := s.srv.Close()
		<-s.done
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.closeErr = fmt.Errorf("adobeemu: closing the server: %w", err)
		}
	})
	return s.closeErr
}
