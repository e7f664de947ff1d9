package service

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
	"github.com/holdslayer/holdslayer/ari/aritest"
)

// Service is the whole Hold Slayer service wired together: store, bus, engine, API, MCP and
// notifications. Each step is its own function so the engine, the ARI
// adapter, the dashboard and MCP can be added in one place each.
type Service struct {
	cfg    Config
	log    *slog.Logger
	clock  clock.Clock
	store  *store.Store
	bus    *app.Bus
	calls  app.Calls
	mounts []api.Mount
	mcp    *mcp.Server
	opts   Options
	sim    *aritest.Server
	notify *notify.Notifier
	// closers run in reverse order when the service stops.
	closers []func() error
}

// Serve runs the service until ctx ends (SIGINT/SIGTERM), then shuts down gracefully.
func Serve(ctx context.Context, cfg Config, log *slog.Logger, opts Options) error {
	if err := CheckListen(cfg.Listen, cfg.APIToken); err != nil {
		return err
	}
	svc, err := New(ctx, cfg, log, opts)
	if err != nil {
		return err
	}
	defer svc.Close()
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	return svc.Run(ctx, ln)
}

// New builds the service: directories, store, bus, call backend, extra handlers.
func New(ctx context.Context, cfg Config, log *slog.Logger, opts Options) (*Service, error) {
	svc := &Service{cfg: cfg, log: log, clock: opts.Clock, opts: opts}
	if svc.clock == nil {
		svc.clock = clock.Real{}
	}
	for _, dir := range []string{cfg.DataDir, cfg.RecordingsDir} {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("create directory %s: %w", dir, err)
		}
	}
	if err := svc.openStore(ctx); err != nil {
		svc.Close()
		return nil, err
	}
	if err := svc.openCalls(ctx); err != nil {
		svc.Close()
		return nil, err
	}
	if err := svc.startNotifier(); err != nil {
		svc.Close()
		return nil, err
	}
	svc.mcp = mcpserver.New(mcpserver.Deps{Calls: svc.calls, Store: svc.store, Bus: svc.bus,
		Log: log.With("component", "mcp"), Version: svc.opts.Version})
	svc.mounts = append(svc.mounts,
		api.Mount{Path: "/", Handler: dashboard.Handler()},
		api.Mount{Path: "/mcp", Handler: mcpserver.Handler(svc.mcp, mcpserver.HandlerOptions{Log: log}), Auth: true})
	return svc, nil
}

// openStore opens the database and ends calls a previous process left open: a restarted
// service owns no live call.
func (svc *Service) openStore(ctx context.Context) error {
	st, err := store.Open(ctx, svc.cfg.DB, svc.log)
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	svc.store = st
	svc.closers = append(svc.closers, st.Close)
	svc.bus = app.NewBus(svc.store, svc.log.With("component", "bus"))
	return svc.endOrphanedCalls(ctx)
}

// endOrphanedCalls ends calls a previous process left open (a restarted service owns no live
// call: their channels died with it or belong to nobody) and says so in each call's timeline,
// so history and WebSocket replays show how they ended.
func (svc *Service) endOrphanedCalls(ctx context.Context) error {
	const reason = "service_restart"
	now := svc.clock.Now()
	ids, err := svc.store.EndOrphanedCalls(ctx, reason, now)
	if err != nil {
		return fmt.Errorf("end calls left open by the previous run: %w", err)
	}
	for _, id := range ids {
		c, err := svc.store.GetCall(ctx, id)
		if err != nil {
			return fmt.Errorf("read orphaned call %s: %w", id, err)
		}
		svc.bus.Publish(ctx, app.Event{Type: app.EventCallEnded, CallID: id, Timestamp: now, Data: map[string]any{
			"number": c.Number, "duration": c.Duration(now).Seconds(), "reason": reason}})
	}
	if len(ids) > 0 {
		svc.log.Warn("ended calls left open by the previous run", "count", len(ids), "call_ids", ids)
	}
	return nil
}

// startNotifier delivers events (human_detected first of all) to the targets stored in the
// database; a failing target never slows a call.
func (svc *Service) startNotifier() error {
	o := notify.Options{Targets: svc.store, Deliveries: svc.store, Calls: svc.store,
		Logger: svc.log.With("component", "notify"), Clock: svc.clock}
	if svc.opts.Getenv != nil && notify.DesktopAvailable(svc.opts.Getenv) {
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

// Handler builds the HTTP handler; done closes when shutdown starts, ending WebSockets.
func (svc *Service) Handler(done <-chan struct{}) http.Handler {
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

// Run serves HTTP on ln until ctx ends, then stops taking requests, ends streams and waits
// up to the shutdown budget for requests in flight.
func (svc *Service) Run(ctx context.Context, ln net.Listener) error {
	gin.SetMode(gin.ReleaseMode)
	done := make(chan struct{})
	srv := &http.Server{
		Handler:           svc.Handler(done),
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

// Close releases what wire opened, newest first.
func (svc *Service) Close() {
	for i := len(svc.closers) - 1; i >= 0; i-- {
		if err := svc.closers[i](); err != nil {
			svc.log.Warn("close", "err", err)
		}
	}
	svc.closers = nil
}

// Calls is the call engine (or NoBackend), for in-process users such as `holdslayer mcp -local`.
func (svc *Service) Calls() app.Calls { return svc.calls }

// Store is the service's database.
func (svc *Service) Store() *store.Store { return svc.store }

// Bus is the service's event bus.
func (svc *Service) Bus() *app.Bus { return svc.bus }

// Simulator is the in-process simulated Asterisk, or nil when a real one is configured; tests
// use it to hear what a device heard and to inject faults.
func (svc *Service) Simulator() *aritest.Server { return svc.sim }
