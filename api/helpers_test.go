package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/gin-gonic/gin"
	"go.uber.org/goleak"

	"github.com/holdslayer/holdslayer/app"
	"github.com/holdslayer/holdslayer/app/store"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode)
	// Every WebSocket handler, reader and HTTP connection must be gone when the tests end.
	goleak.VerifyTestMain(m)
}

// fakeCalls is a small working engine for API tests: calls live in a map and in the real
// store, and every command is recorded so tests can see what reached the engine.
type fakeCalls struct {
	store app.Store
	bus   *app.Bus

	mu        sync.Mutex
	live      map[string]*app.Call
	placed    []app.CallRequest
	dtmf      []string
	transfers []string
	ready     bool
	fail      error // returned by Place when set
}

func newFakeCalls(st app.Store, bus *app.Bus) *fakeCalls {
	return &fakeCalls{store: st, bus: bus, live: map[string]*app.Call{}, ready: true}
}

func (f *fakeCalls) Place(ctx context.Context, req app.CallRequest) (app.Call, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return app.Call{}, f.fail
	}
	c := app.Call{Number: req.Number, Mode: req.Mode, Intent: req.Intent, Device: req.Device,
		CallFlowID: req.CallFlowID, Services: req.Services, Status: app.StatusTrying}
	if err := f.store.CreateCall(ctx, &c); err != nil {
		return app.Call{}, err
	}
	f.live[c.ID] = &c
	f.placed = append(f.placed, req)
	f.bus.Publish(ctx, app.Event{Type: app.EventCallStarted, CallID: c.ID, Timestamp: time.Now(),
		Data: map[string]any{"number": c.Number, "mode": string(c.Mode), "intent": c.Intent}})
	return c, nil
}

func (f *fakeCalls) Get(ctx context.Context, id string) (app.Call, error) {
	f.mu.Lock()
	c, ok := f.live[id]
	f.mu.Unlock()
	if ok {
		return *c, nil
	}
	return f.store.GetCall(ctx, id)
}

func (f *fakeCalls) Active(context.Context) []app.Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []app.Call
	for _, c := range f.live {
		if !c.Status.Terminal() {
			out = append(out, *c)
		}
	}
	return out
}

// set changes a live call as the engine would.
func (f *fakeCalls) set(t *testing.T, id string, change func(c *app.Call)) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.live[id]
	change(c)
	if err := f.store.UpdateCall(context.Background(), c); err != nil {
		t.Fatalf("update call: %v", err)
	}
}

func (f *fakeCalls) Hangup(ctx context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.live[id]
	if !ok {
		return fmt.Errorf("call not found: %s: %w", id, app.ErrNotFound)
	}
	if c.Status.Terminal() {
		return fmt.Errorf("call already ended: %s: %w", id, app.ErrConflict)
	}
	now := time.Now()
	c.Status, c.EndedAt, c.EndReason = app.StatusEnded, &now, "user_hangup"
	delete(f.live, id)
	return f.store.UpdateCall(ctx, c)
}

func (f *fakeCalls) Transfer(_ context.Context, id, device string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.live[id]; !ok {
		return fmt.Errorf("call not found: %s: %w", id, app.ErrNotFound)
	}
	f.transfers = append(f.transfers, id+"->"+device)
	return nil
}

func (f *fakeCalls) SendDTMF(_ context.Context, id, digits string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.live[id]; !ok {
		return fmt.Errorf("call not found: %s: %w", id, app.ErrNotFound)
	}
	f.dtmf = append(f.dtmf, id+":"+digits)
	return nil
}

func (f *fakeCalls) Ready() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ready
}

// env is one API under test: the real gin engine behind a real HTTP server on loopback, over
// a real SQLite file.
type env struct {
	t      *testing.T
	srv    *httptest.Server
	store  *store.Store
	bus    *app.Bus
	calls  *fakeCalls
	token  string
	recDir string
	logBuf *syncBuffer
}

type envOpt func(*Config)

func withToken(tok string) envOpt { return func(c *Config) { c.Token = tok } }
func withNoBackend() envOpt {
	return func(c *Config) { c.Calls = app.NoBackend{Store: c.Store} }
}
func withWS(ws WSConfig) envOpt       { return func(c *Config) { c.WS = ws } }
func withMaxBody(n int64) envOpt      { return func(c *Config) { c.MaxBodyBytes = n } }
func withMounts(m ...Mount) envOpt    { return func(c *Config) { c.Mounts = m } }
func withDone(d chan struct{}) envOpt { return func(c *Config) { c.Done = d } }

// syncBuffer collects log output so tests can prove what was (not) logged.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newEnv(t *testing.T, opts ...envOpt) *env {
	t.Helper()
	dir := t.TempDir()
	logBuf := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	st, err := store.Open(context.Background(), filepath.Join(dir, "test.db"), log)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	bus := app.NewBus(st, log)
	calls := newFakeCalls(st, bus)
	recDir := filepath.Join(dir, "recordings")
	if err := os.MkdirAll(recDir, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Calls: calls, Store: st, Bus: bus, Log: log, RecordingsDir: recDir}
	for _, o := range opts {
		o(&cfg)
	}
	srv := httptest.NewServer(New(cfg))
	t.Cleanup(srv.Close)
	return &env{t: t, srv: srv, store: st, bus: bus, calls: calls, token: cfg.Token, recDir: recDir, logBuf: logBuf}
}

// with returns the env reporting to t, for subtests.
func (e *env) with(t *testing.T) *env {
	c := *e
	c.t = t
	return &c
}

// resp is a response read whole, its JSON body decoded when it has one.
type resp struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

func (r resp) detail() string { s, _ := r.body["detail"].(string); return s }

// do sends a request with the env's token (if any) and checks the response against the
// OpenAPI document before returning it.
func (e *env) do(method, path string, body any) resp {
	e.t.Helper()
	return e.doAuth(method, path, body, e.token)
}

func (e *env) doAuth(method, path string, body any, token string) resp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		js, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(js)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	r := resp{status: res.StatusCode, header: res.Header, raw: raw}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") && len(raw) > 0 {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			e.t.Fatalf("%s %s: response is not a JSON object: %v: %s", method, path, err, raw)
		}
	}
	if r.status >= 400 && r.detail() == "" {
		e.t.Errorf("%s %s: error %d without a detail: %s", method, path, r.status, raw)
	}
	checkAgainstSpec(e.t, req, res, raw)
	return r
}

// want fails the test unless r has the status; it shows the body to explain.
func (r resp) want(t *testing.T, status int) resp {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.raw)
	}
	return r
}

// wantError checks an error status and that the detail mentions every fragment.
func (r resp) wantError(t *testing.T, status int, fragments ...string) {
	t.Helper()
	r.want(t, status)
	for _, f := range fragments {
		if !strings.Contains(strings.ToLower(r.detail()), strings.ToLower(f)) {
			t.Errorf("detail %q does not mention %q", r.detail(), f)
		}
	}
}

var (
	specOnceT   sync.Once
	specDoc     *openapi3.T
	specRouter  routers.Router
	specLoadErr error
	// specChecked counts responses validated, so a test can prove validation ran.
	specChecked int64
	specMu      sync.Mutex
)

func loadSpec() (*openapi3.T, routers.Router, error) {
	specOnceT.Do(func() {
		js, err := OpenAPIJSON()
		if err != nil {
			specLoadErr = err
			return
		}
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(js)
		if err != nil {
			specLoadErr = fmt.Errorf("load openapi: %w", err)
			return
		}
		if err := doc.Validate(loader.Context); err != nil {
			specLoadErr = fmt.Errorf("openapi document invalid: %w", err)
			return
		}
		r, err := legacy.NewRouter(doc)
		if err != nil {
			specLoadErr = fmt.Errorf("openapi router: %w", err)
			return
		}
		specDoc, specRouter = doc, r
	})
	return specDoc, specRouter, specLoadErr
}

// checkAgainstSpec fails t unless the response matches the OpenAPI document.
func checkAgainstSpec(t *testing.T, req *http.Request, res *http.Response, body []byte) {
	t.Helper()
	if err := validateAgainstSpec(req, res, body); err != nil {
		t.Errorf("%v\nbody: %.500s", err, body)
	}
}

// validateAgainstSpec checks one real response against the OpenAPI document: the route must
// be documented, the status listed (or covered by default) and the body match its schema.
func validateAgainstSpec(req *http.Request, res *http.Response, body []byte) error {
	_, router, err := loadSpec()
	if err != nil {
		return err
	}
	if res.StatusCode == http.StatusNotFound && strings.HasPrefix(string(body), `{"detail":"no route`) {
		return nil // unknown paths are, by definition, not in the document
	}
	if res.StatusCode == http.StatusMethodNotAllowed {
		return nil
	}
	route, params, err := router.FindRoute(req)
	if err != nil {
		return fmt.Errorf("%s %s is not in the OpenAPI document: %w", req.Method, req.URL.Path, err)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 res.StatusCode,
		Header:                 res.Header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		in.Options.ExcludeResponseBody = true
	}
	specMu.Lock()
	specChecked++
	specMu.Unlock()
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		return fmt.Errorf("%s %s -> %d does not match the OpenAPI document: %w", req.Method, req.URL.Path, res.StatusCode, err)
	}
	return nil
}

// fakeExchange builds a request/response pair as if the server had answered body.
func fakeExchange(t *testing.T, e *env, path, body string) (*http.Request, *http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", e.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	res := &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}}
	return req, res, []byte(body)
}
