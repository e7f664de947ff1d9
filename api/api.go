// Package api is Hold Slayer's HTTP face: the REST API of the seed contract, the /ws/events
// stream, health checks, the OpenAPI document and its docs page. It speaks to the engine only
// through app.Calls, app.Store and app.Bus, so it runs the same over the real engine, NoBackend
// or a test fake.
package api

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/holdslayer/holdslayer/app"
	"github.com/holdslayer/holdslayer/app/clock"
)

// DefaultMaxBodyBytes caps request bodies when Config.MaxBodyBytes is zero.
const DefaultMaxBodyBytes = 1 << 20

// Mount attaches a handler someone else owns (the dashboard at "/", MCP at "/mcp") to the
// router, so main can add them without this package knowing what they are.
type Mount struct {
	// Path is "/" for a handler that serves every GET/HEAD path no API route claims, or a
	// prefix such as "/mcp" that receives the prefix and everything under it, any method.
	Path    string
	Handler http.Handler
	// Auth puts the handler behind the API token, like /api and /ws.
	Auth bool
}

// Config is everything the API needs, passed in by main.
type Config struct {
	Calls app.Calls
	Store app.Store
	Bus   *app.Bus
	// Token, when set, is required as "Authorization: Bearer <token>" on /api, /ws and protected
	// mounts (and as ?token= on the WebSocket, which browsers cannot give headers).
	Token string
	Log   *slog.Logger
	// MaxBodyBytes caps request bodies (413 past it); zero means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Clock gives durations their "now"; nil means the wall clock.
	Clock clock.Clock
	// RecordingsDir is where relative recording paths live.
	RecordingsDir string
	// Analytics answers /api/analytics/*; *store.Store implements it. Nil leaves the routes out.
	Analytics AnalyticsSource
	// Notifications manages /api/notifications/*; *notify.Notifier implements it. Nil leaves
	// the routes out.
	Notifications NotificationManager
	// Mounts are extra handlers (dashboard, MCP) added after the API routes.
	Mounts []Mount
	// Done, when closed, ends long-lived streams (WebSockets) with "going away" so a graceful
	// shutdown does not wait on them.
	Done <-chan struct{}
	// WS tunes the event stream; zero values mean the defaults.
	WS WSConfig
}

// WSConfig tunes /ws/events keepalive and back-pressure.
type WSConfig struct {
	// Buffer is the bus subscription buffer per client (default 256 events).
	Buffer int
	// WriteTimeout bounds one frame write (default 10 s); a client that cannot take a frame in
	// that time is disconnected.
	WriteTimeout time.Duration
	// PingInterval is how often the server pings (default 30 s); a client silent for two
	// intervals is disconnected.
	PingInterval time.Duration
}

type server struct {
	calls   app.Calls
	store   app.Store
	bus     *app.Bus
	token   string
	log     *slog.Logger
	maxBody int64
	clock   clock.Clock
	recDir  string
	done    <-chan struct{}
	ws      WSConfig
}

// New builds the router with every route of the API. Calls, Store and Bus are required.
func New(cfg Config) *gin.Engine {
	s := &server{
		calls: cfg.Calls, store: cfg.Store, bus: cfg.Bus, token: cfg.Token, log: cfg.Log,
		maxBody: cfg.MaxBodyBytes, clock: cfg.Clock, recDir: cfg.RecordingsDir, done: cfg.Done, ws: cfg.WS,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBodyBytes
	}
	if s.clock == nil {
		s.clock = clock.Real{}
	}
	if s.ws.Buffer <= 0 {
		s.ws.Buffer = 256
	}
	if s.ws.WriteTimeout <= 0 {
		s.ws.WriteTimeout = 10 * time.Second
	}
	if s.ws.PingInterval <= 0 {
		s.ws.PingInterval = 30 * time.Second
	}

	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.RedirectTrailingSlash = false
	r.RedirectFixedPath = false
	r.Use(s.recoverMiddleware, s.logMiddleware, s.errorMiddleware, s.limitBody)

	r.GET("/healthz", handle(s.healthz))
	r.GET("/readyz", handle(s.readyz))
	r.GET("/api/openapi.json", handle(s.openAPI))
	r.GET("/docs", handle(s.docs))

	auth := s.authMiddleware
	a := r.Group("/api", auth)
	a.POST("/calls/outbound", handle(s.placeOutbound))
	a.POST("/calls/hold-slayer", handle(s.placeHoldSlayer))
	a.GET("/calls", handle(s.listActive))
	a.GET("/calls/history", handle(s.history))
	a.GET("/calls/:call_id", handle(s.getCall))
	a.POST("/calls/:call_id/hangup", handle(s.hangup))
	a.POST("/calls/:call_id/transfer", handle(s.transfer))
	a.POST("/calls/:call_id/dtmf", handle(s.dtmf))
	a.GET("/calls/:call_id/events", handle(s.callEvents))
	a.GET("/calls/:call_id/transcript", handle(s.transcript))
	a.GET("/calls/:call_id/recordings", handle(s.callRecordings))
	a.GET("/recordings/:recording_id/file", handle(s.recordingFile))

	a.GET("/call-flows", handle(s.listFlows))
	a.POST("/call-flows", handle(s.createFlow))
	a.GET("/call-flows/:flow_id", handle(s.getFlow))
	a.PUT("/call-flows/:flow_id", handle(s.updateFlow))
	a.DELETE("/call-flows/:flow_id", handle(s.deleteFlow))

	a.GET("/devices", handle(s.listDevices))
	a.POST("/devices", handle(s.createDevice))
	a.GET("/devices/:device_id", handle(s.getDevice))
	a.PUT("/devices/:device_id", handle(s.updateDevice))
	a.DELETE("/devices/:device_id", handle(s.deleteDevice))
	if cfg.Analytics != nil {
		registerAnalytics(a, cfg.Analytics)
	}
	if cfg.Notifications != nil {
		registerNotifications(a, cfg.Notifications)
	}

	r.GET("/ws/events", auth, handle(s.wsEvents))

	var root http.Handler
	for _, m := range cfg.Mounts {
		h := gin.WrapH(m.Handler)
		chain := []gin.HandlerFunc{}
		if m.Auth {
			chain = append(chain, auth)
		}
		chain = append(chain, h)
		if m.Path == "/" || m.Path == "" {
			root = m.Handler
			if m.Auth {
				root = s.protect(m.Handler)
			}
			continue
		}
		p := strings.TrimSuffix(m.Path, "/")
		r.Any(p, chain...)
		r.Any(p+"/*rest", chain...)
	}
	r.NoMethod(handle(func(c *gin.Context) error {
		return &httpError{status: http.StatusMethodNotAllowed,
			detail: "method " + c.Request.Method + " not allowed on " + c.Request.URL.Path}
	}))
	r.NoRoute(handle(func(c *gin.Context) error {
		path := c.Request.URL.Path
		apiPath := strings.HasPrefix(path, "/api/") || strings.HasPrefix(path, "/ws/")
		if root != nil && !apiPath && (c.Request.Method == http.MethodGet || c.Request.Method == http.MethodHead) {
			root.ServeHTTP(c.Writer, c.Request)
			return nil
		}
		if root == nil && path == "/" && c.Request.Method == http.MethodGet {
			c.Data(http.StatusOK, "text/html; charset=utf-8", placeholderPage)
			return nil
		}
		return notFound("no route for %s %s", c.Request.Method, path)
	}))
	return r
}

// placeholderPage stands at / until the dashboard is mounted there.
var placeholderPage = []byte(`<!doctype html><html><head><meta charset="utf-8"><title>Hold Slayer</title></head>
<body><h1>Hold Slayer</h1><p>The service is running. See the <a href="/docs">API documentation</a>.</p></body></html>
`)

// limitBody caps every request body; decodeJSON turns the overflow into a 413.
func (s *server) limitBody(c *gin.Context) {
	if c.Request.Body != nil {
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, s.maxBody)
	}
	c.Next()
}

// logMiddleware logs each request by route, never with its query (which may carry a token).
func (s *server) logMiddleware(c *gin.Context) {
	start := time.Now()
	c.Next()
	s.log.Debug("http request", "method", c.Request.Method, "path", c.Request.URL.Path,
		"status", c.Writer.Status(), "duration", time.Since(start))
}

// recoverMiddleware turns a handler panic into a logged 500 with a generic detail.
func (s *server) recoverMiddleware(c *gin.Context) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.log.Error("handler panic", "method", c.Request.Method, "path", c.Request.URL.Path, "panic", p)
			if !c.Writer.Written() {
				c.AbortWithStatusJSON(http.StatusInternalServerError, gin.H{"detail": "internal server error"})
			}
		}
	}()
	c.Next()
}
