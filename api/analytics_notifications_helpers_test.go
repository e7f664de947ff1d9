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
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/gin-gonic/gin"

	"github.com/holdslayer/holdslayer/app"
	"github.com/holdslayer/holdslayer/app/notify"
	"github.com/holdslayer/holdslayer/app/store"
)

// mergedSpec is the served document; the analytics and notification paths live in
// openapi.yaml with the rest.
func mergedSpec() (*openapi3.T, routers.Router, error) { return loadSpec() }

// validateExt checks one response against the merged document: documented route, listed
// status, body matching its schema.
func validateExt(req *http.Request, res *http.Response, body []byte) error {
	_, router, err := mergedSpec()
	if err != nil {
		return err
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
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		return fmt.Errorf("%s %s -> %d does not match the OpenAPI document: %w", req.Method, req.URL.Path, res.StatusCode, err)
	}
	return nil
}

// extEnv is the real router with the analytics and notification routes added to /api, over
// a real SQLite file, a real Notifier and a real HTTP server on loopback.
type extEnv struct {
	t        *testing.T
	srv      *httptest.Server
	store    *store.Store
	notifier *notify.Notifier
	logs     *syncBuffer
}

func newExtEnv(t *testing.T) *extEnv {
	t.Helper()
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "test.db"), log)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	n, err := notify.New(notify.Options{Targets: st, Deliveries: st, Calls: st, Logger: log,
		Retry: notify.RetryPolicy{Attempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	bus := app.NewBus(st, log)
	r := New(Config{Calls: newFakeCalls(st, bus), Store: st, Bus: bus, Log: log,
		Analytics: st, Notifications: n})
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return &extEnv{t: t, srv: srv, store: st, notifier: n, logs: logs}
}

// do sends a request and checks the response against the merged OpenAPI document.
func (e *extEnv) do(method, path string, body any) resp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
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
	if err := validateExt(req, res, raw); err != nil {
		e.t.Errorf("%v\nbody: %.500s", err, raw)
	}
	return r
}

// TestExtRoutesDocumented: every analytics and notification route served is in the fragment
// and every path the fragment documents is served, so the lead's paste is complete.
func TestExtRoutesDocumented(t *testing.T) {
	doc, _, err := mergedSpec()
	if err != nil {
		t.Fatal(err)
	}
	g := gin.New()
	registerAnalytics(g.Group("/api"), nil)
	registerNotifications(g.Group("/api"), nil)
	param := regexp.MustCompile(`:([A-Za-z_]+)`)
	var served, documented []string
	for _, r := range g.Routes() {
		served = append(served, r.Method+" "+param.ReplaceAllString(r.Path, "{$1}"))
	}
	for path, item := range doc.Paths.Map() {
		if !strings.HasPrefix(path, "/api/analytics") && !strings.HasPrefix(path, "/api/notifications") {
			continue
		}
		for method := range item.Operations() {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	slices.Sort(served)
	slices.Sort(documented)
	equalStrings(t, served, documented)
	if len(served) != 10 {
		t.Errorf("%d routes: %v", len(served), served)
	}
}

func equalStrings(t *testing.T, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("served %v\ndocumented %v", got, want)
	}
}
