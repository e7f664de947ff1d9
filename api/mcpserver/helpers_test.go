package mcpserver_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go.uber.org/goleak"

	"github.com/holdslayer/holdslayer/api"
	"github.com/holdslayer/holdslayer/api/mcpserver"
	"github.com/holdslayer/holdslayer/api/mcpserver/scripted"
	"github.com/holdslayer/holdslayer/app"
	"github.com/holdslayer/holdslayer/app/store"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode)
	goleak.VerifyTestMain(m)
}

const testToken = "s3cret-token"

// env is one test's service: a real SQLite store, a real bus, the scripted engine, the MCP
// server, and the API router (with the MCP handler mounted behind the token) on loopback.
type env struct {
	t     *testing.T
	store *store.Store
	bus   *app.Bus
	eng   *scripted.Engine
	gate  chan struct{}
	mcp   *mcp.Server
	http  *httptest.Server
}

func newEnv(t *testing.T, gated bool) *env {
	t.Helper()
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "holdslayer.db"), log)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	e := &env{t: t, store: st, bus: app.NewBus(st, log)}
	opt := scripted.Options{Step: 10 * time.Millisecond, Log: log}
	if gated {
		e.gate = make(chan struct{})
		opt.Gate = e.gate
	}
	e.eng = scripted.New(st, e.bus, opt)
	e.mcp = mcpserver.New(mcpserver.Deps{Calls: e.eng, Store: st, Bus: e.bus, Log: log, ProgressInterval: 50 * time.Millisecond, Version: "test"})
	router := api.New(api.Config{Calls: e.eng, Store: st, Bus: e.bus, Token: testToken, Log: log,
		Mounts: []api.Mount{{Path: "/mcp", Handler: mcpserver.Handler(e.mcp, mcpserver.HandlerOptions{Log: log}), Auth: true}}})
	e.http = httptest.NewServer(router)
	t.Cleanup(func() {
		e.http.CloseClientConnections()
		e.http.Close()
		mcpserver.CloseSessions(e.mcp)
		e.eng.Close()
		if err := st.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	return e
}

// release lets the scripted call run its next stage.
func (e *env) release() {
	e.t.Helper()
	select {
	case e.gate <- struct{}{}:
	case <-time.After(5 * time.Second):
		e.t.Fatal("scripted call did not take the next stage")
	}
}

// bearer adds the API token to every request.
type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

func (e *env) httpClient() *http.Client {
	tr := &http.Transport{}
	e.t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: bearer{token: testToken, next: tr}}
}

// progressLog collects progress notifications a client received.
type progressLog struct {
	mu   sync.Mutex
	msgs []string
}

func (p *progressLog) handler(_ context.Context, req *mcp.ProgressNotificationClientRequest) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.msgs = append(p.msgs, req.Params.Message)
}

func (p *progressLog) all() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.msgs...)
}

func connect(t *testing.T, tr mcp.Transport, p *progressLog) *mcp.ClientSession {
	t.Helper()
	opts := &mcp.ClientOptions{}
	if p != nil {
		opts.ProgressNotificationHandler = p.handler
	}
	c := mcp.NewClient(&mcp.Implementation{Name: "test-client", Version: "1"}, opts)
	// Not a timeout context: the SSE transport keeps its GET stream on the Connect context.
	cs, err := c.Connect(context.Background(), tr, nil)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

// call invokes a tool and decodes its structured output into out (when not nil).
func call(t *testing.T, cs *mcp.ClientSession, name string, args any, out any) *mcp.CallToolResult {
	t.Helper()
	return callWith(t, cs, &mcp.CallToolParams{Name: name, Arguments: args}, out)
}

func callWith(t *testing.T, cs *mcp.ClientSession, p *mcp.CallToolParams, out any) *mcp.CallToolResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := cs.CallTool(ctx, p)
	if err != nil {
		t.Fatalf("call %s: %v", p.Name, err)
	}
	if res.IsError {
		if out != nil {
			t.Fatalf("%s failed: %s", p.Name, text(res))
		}
		return res
	}
	if out != nil {
		b, err := json.Marshal(res.StructuredContent)
		if err != nil {
			t.Fatalf("marshal %s output: %v", p.Name, err)
		}
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("decode %s output %s: %v", p.Name, b, err)
		}
	}
	return res
}

// toolError calls a tool that must fail and returns its error text.
func toolError(t *testing.T, cs *mcp.ClientSession, name string, args any) string {
	t.Helper()
	res := call(t, cs, name, args, nil)
	if !res.IsError {
		t.Fatalf("%s(%v) succeeded, want a tool error: %s", name, args, text(res))
	}
	return text(res)
}

func text(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n")
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
