package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/holdslayer/holdslayer/api"
	"github.com/holdslayer/holdslayer/api/dashboard"
	"github.com/holdslayer/holdslayer/api/mcpserver"
	"github.com/holdslayer/holdslayer/app"
	"github.com/holdslayer/holdslayer/app/clock"
	"github.com/holdslayer/holdslayer/app/notify"
	"github.com/holdslayer/holdslayer/app/store"
)

// service is what serve wires together. Each step is its own function so the engine, the ARI
// adapter, the dashboard and MCP can be added in one place each.
type service struct {
	cfg    Config
	log    *slog.Logger
	clock  clock.Clock
	store  *store.Store
	bus    *app.Bus
	calls  app.Calls
	mounts []api.Mount
	mcp    *mcp.Server
	notify *notify.Notifier
	// closers run in reverse order when the service stops.
	closers []func() error
}

// serve runs the service until ctx ends (SIGINT/SIGTERM), then shuts down gracefully.
func serve(ctx context.Context, cfg Config, log *slog.Logger) error {
	if err := checkListen(cfg.Listen, cfg.APIToken); err != nil {
		return err
	}
	svc, err := wire(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer svc.close()
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	return svc.run(ctx, ln)
}

// wire builds the service: directories, store, bus, call backend, extra handlers.
func wire(ctx context.Context, cfg Config, log *slog.Logger) (*service, error) {
	svc := &service{cfg: cfg, log: log, clock: clock.Real{}}
	for _, dir := range []string{cfg.DataDir, cfg.RecordingsDir} {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("create directory %s: %w", dir, err)
		}
	}
	if err := svc.openStore(ctx); err != nil {
		svc.close()
		return nil, err
	}
	svc.bus = app.NewBus(svc.store, log.With("component", "bus"))
	if err := svc.openCalls(ctx); err != nil {
		svc.close()
		return nil, err
	}
	if err := svc.startNotifier(); err != nil {
		svc.close()
		return nil, err
	}
	svc.mcp = mcpserver.New(mcpserver.Deps{Calls: svc.calls, Store: svc.store, Bus: svc.bus,
		Log: log.With("component", "mcp"), Version: buildVersion()})
	svc.mounts = append(svc.mounts,
		api.Mount{Path: "/", Handler: dashboard.Handler()},
		api.Mount{Path: "/mcp", Handler: mcpserver.Handler(svc.mcp, mcpserver.HandlerOptions{Log: log}), Auth: true})
	return svc, nil
}

// openStore opens the database and ends calls a previous process left open: a restarted
// service owns no live call.
func (svc *service) openStore(ctx context.Context) error {
	st, err := store.Open(ctx, svc.cfg.DB, svc.log)
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	svc.store = st
	svc.closers = append(svc.closers, st.Close)
	ids, err := st.EndOrphanedCalls(ctx, "service_restart", svc.clock.Now())
	if err != nil {
		return fmt.Errorf("end calls left open by the previous run: %w", err)
	}
	if len(ids) > 0 {
		svc.log.Warn("ended calls left open by the previous run", "count", len(ids), "call_ids", ids)
	}
	return nil
}

// startNotifier delivers events (human_detected first of all) to the targets stored in the
// database; a failing target never slows a call.
func (svc *service) startNotifier() error {
	o := notify.Options{Targets: svc.store, Deliveries: svc.store, Calls: svc.store,
		Logger: svc.log.With("component", "notify"), Clock: svc.clock}
	if notify.DesktopAvailable(os.Getenv) {
		o.Desktop = notify.BeeepDesktop
	}
	n, err := notify.New(o)
	if err != nil {
		return fmt.Errorf("notifications: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := n.Run(ctx, svc.bus); err != nil {
			svc.log.Error("notifications stopped", "err", err)
		}
	}()
	svc.closers = append(svc.closers, func() error { cancel(); <-done; return nil })
	svc.notify = n
	return nil
}

// handler builds the HTTP handler; done closes when shutdown starts, ending WebSockets.
func (svc *service) handler(done <-chan struct{}) http.Handler {
	return api.New(api.Config{
		Calls:         svc.calls,
		Store:         svc.store,
		Bus:           svc.bus,
		Token:         svc.cfg.APIToken,
		Log:           svc.log.With("component", "api"),
		MaxBodyBytes:  svc.cfg.MaxBodyBytes,
		Clock:         svc.clock,
		RecordingsDir: svc.cfg.RecordingsDir,
		Analytics:     svc.store,
		Notifications: svc.notify,
		Mounts:        svc.mounts,
		Done:          done,
	})
}

// run serves HTTP on ln until ctx ends, then stops taking requests, ends streams and waits
// up to the shutdown budget for requests in flight.
func (svc *service) run(ctx context.Context, ln net.Listener) error {
	gin.SetMode(gin.ReleaseMode)
	done := make(chan struct{})
	srv := &http.Server{
		Handler:           svc.handler(done),
		ReadHeaderTimeout: 10 * time.Second,
		// No ReadTimeout or WriteTimeout: event streams (WebSocket, MCP over SSE) and recording
		// downloads are long-lived; bodies are capped by size, and each WebSocket write has
		// its own deadline.
		IdleTimeout:    120 * time.Second,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(svc.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	svc.log.Info("hold slayer listening", "addr", ln.Addr().String(), "auth", svc.cfg.APIToken != "",
		"telephony", svc.calls.Ready())

	select {
	case err := <-errc:
		close(done)
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	svc.log.Info("shutting down")
	close(done)
	// MCP's SSE and streamable GET streams are long-lived: end them so Shutdown need not wait.
	mcpserver.CloseSessions(svc.mcp)
	wait := time.Duration(svc.cfg.ShutdownWaitMS) * time.Millisecond
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), wait)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("graceful shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http server: %w", err)
	}
	return nil
}

// close releases what wire opened, newest first.
func (svc *service) close() {
	for i := len(svc.closers) - 1; i >= 0; i-- {
		if err := svc.closers[i](); err != nil {
			svc.log.Warn("close", "err", err)
		}
	}
	svc.closers = nil
}
