// Package mcpserver is Hold Slayer's MCP server: tools, resources and progress notifications
// that let an AI assistant place a call, watch it and hand it to its user. It sits on the
// REST API and the event stream and nothing beneath: in the service the tools run the API's
// own handlers in-process (so validation and error details are the REST API's, word for
// word) and events come from the bus; in `holdslayer mcp` they call a running service over
// HTTP and its /ws/events stream.
package mcpserver

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/holdslayer/holdslayer/api"
	"github.com/holdslayer/holdslayer/app"
)

// DefaultProgressInterval is how often wait_for_call_event reports progress while the call
// is quiet.
const DefaultProgressInterval = 15 * time.Second

// Deps is what the in-service MCP server needs, passed in by main.
type Deps struct {
	Calls app.Calls
	Store app.Store
	Bus   *app.Bus
	Log   *slog.Logger
	// ProgressInterval overrides DefaultProgressInterval (tests use a short one).
	ProgressInterval time.Duration
	// Version is reported to clients; empty means "dev".
	Version string
}

// Remote is what the stdio server needs to drive a running service over its HTTP API.
type Remote struct {
	// URL is the service's base URL, e.g. http://127.0.0.1:8000.
	URL string
	// Token is the API token, sent as a Bearer header; empty when the service has none.
	Token string
	// HTTPClient defaults to a client with a 30 s timeout.
	HTTPClient       *http.Client
	Log              *slog.Logger
	ProgressInterval time.Duration
	Version          string
}

// New builds the MCP server over the engine, store and bus of this process.
func New(d Deps) *mcp.Server {
	log := d.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	router := api.New(api.Config{Calls: d.Calls, Store: d.Store, Bus: d.Bus, Log: log})
	s := &service{
		rest:     &restClient{base: "http://holdslayer.internal", http: &http.Client{Transport: handlerTransport{h: router}}},
		events:   busSource{bus: d.Bus, store: d.Store, log: log},
		log:      log,
		progress: d.ProgressInterval,
	}
	return s.server(d.Version)
}

// NewRemote builds the MCP server over a running service's HTTP API.
func NewRemote(r Remote) (*mcp.Server, error) {
	base := strings.TrimSuffix(r.URL, "/")
	if !strings.HasPrefix(base, "http://") && !strings.HasPrefix(base, "https://") {
		return nil, fmt.Errorf("service url %q must start with http:// or https://: %w", r.URL, app.ErrInvalid)
	}
	log := r.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	hc := r.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	s := &service{
		rest:     &restClient{base: base, token: r.Token, http: hc},
		events:   wsSource{base: base, token: r.Token, log: log},
		log:      log,
		progress: r.ProgressInterval,
	}
	return s.server(r.Version), nil
}

// service holds what every tool handler needs.
type service struct {
	rest     *restClient
	events   eventSource
	log      *slog.Logger
	progress time.Duration
}

const instructions = `Hold Slayer places phone calls to companies for the user, gets through their phone menus, waits on hold, and rings the user's own phone when a live person answers.
Typical use: list_devices to see where the user can be reached; start_hold_slayer with the company's E.164 number and the user's intent; then wait_for_call_event with event_types ["human_detected"] (it blocks, reporting progress, so do not poll); when it returns, tell the user to pick up. get_call_status and get_transcript show what is happening; hangup_call ends a call.
Errors are returned as tool errors whose text says exactly what to fix.`

func (s *service) server(version string) *mcp.Server {
	if version == "" {
		version = "dev"
	}
	if s.progress <= 0 {
		s.progress = DefaultProgressInterval
	}
	srv := mcp.NewServer(&mcp.Implementation{Name: "holdslayer", Title: "Hold Slayer", Version: version},
		&mcp.ServerOptions{Instructions: instructions, Logger: s.log})
	s.addTools(srv)
	s.addResources(srv)
	return srv
}

// HandlerOptions tune the HTTP handler.
type HandlerOptions struct {
	Log *slog.Logger
	// SessionTimeout closes idle streamable sessions (default 30 minutes).
	SessionTimeout time.Duration
}

// Handler serves the server over HTTP: the SSE transport (2024-11-05) for any path ending in
// /sse (e.g. /mcp/sse, whose POSTs also go to /mcp/sse?sessionid=...) and streamable HTTP for
// every other path (e.g. /mcp). The SDK's DNS-rebinding protection stays on (a request that
// reached a loopback address with a non-loopback Host is refused with 403) and cross-origin
// browser requests are refused too. Authentication is left to the caller: the api router's
// Mount with Auth, or RequireBearer.
func Handler(srv *mcp.Server, opt HandlerOptions) http.Handler {
	if opt.SessionTimeout <= 0 {
		opt.SessionTimeout = 30 * time.Minute
	}
	get := func(*http.Request) *mcp.Server { return srv }
	stream := mcp.NewStreamableHTTPHandler(get, &mcp.StreamableHTTPOptions{Logger: opt.Log, SessionTimeout: opt.SessionTimeout})
	sse := mcp.NewSSEHandler(get, &mcp.SSEOptions{})
	mux := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(strings.TrimSuffix(r.URL.Path, "/"), "/sse") {
			sse.ServeHTTP(w, r)
			return
		}
		stream.ServeHTTP(w, r)
	})
	return http.NewCrossOriginProtection().Handler(mux)
}

// RequireBearer wraps h so it answers 401 unless the request carries "Authorization: Bearer
// <token>". The api router applies its own check to mounts with Auth; this is for serving the
// handler elsewhere. An empty token leaves h open.
func RequireBearer(token string, h http.Handler) http.Handler {
	if token == "" {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, got, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || !tokenEqual(strings.TrimSpace(got), token) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="holdslayer"`)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"detail":"missing or invalid API token: send Authorization: Bearer <token>"}`))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// errRequired is the REST API's wording for a missing field.
func errRequired(field string) error {
	return &APIError{Status: http.StatusBadRequest, Detail: fmt.Sprintf("field %q is required", field)}
}

// toolError gives a non-API failure (a broken connection) a readable tool error.
func toolError(err error) error {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae
	}
	return fmt.Errorf("hold slayer is unreachable or failed: %w", err)
}

// CloseSessions ends every open MCP session of srv (streamable sessions otherwise live until
// their idle timeout). Call it on shutdown, after the HTTP server stopped taking requests.
func CloseSessions(srv *mcp.Server) {
	for ss := range srv.Sessions() {
		_ = ss.Close()
	}
}
