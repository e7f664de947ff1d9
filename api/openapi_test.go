package api

import (
	"context"
	"log/slog"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/holdslayer/holdslayer/app"
	"github.com/holdslayer/holdslayer/app/notify"
	"github.com/holdslayer/holdslayer/app/store"
)

// TestOpenAPIMatchesRouter proves the document and the router describe the same routes:
// every (method, path) gin serves is in the document and every documented one is served.
func TestOpenAPIMatchesRouter(t *testing.T) {
	doc, _, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "x.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n, err := notify.New(notify.Options{Targets: st, Deliveries: st})
	if err != nil {
		t.Fatal(err)
	}
	engine := New(Config{Calls: app.NoBackend{Store: st}, Store: st, Bus: app.NewBus(st, nil),
		Analytics: st, Notifications: n})

	param := regexp.MustCompile(`:([A-Za-z_]+)`)
	var served []string
	for _, r := range engine.Routes() {
		served = append(served, r.Method+" "+param.ReplaceAllString(r.Path, "{$1}"))
	}
	var documented []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	slices.Sort(served)
	slices.Sort(documented)
	for _, s := range served {
		if !slices.Contains(documented, s) {
			t.Errorf("served but not documented: %s", s)
		}
	}
	for _, d := range documented {
		if !slices.Contains(served, d) {
			t.Errorf("documented but not served: %s", d)
		}
	}
	if len(served) < 25 {
		t.Errorf("only %d routes: %v", len(served), served)
	}
}

// TestResponsesAreValidated proves the handler tests' spec check really runs and catches a
// response that breaks its schema.
func TestResponsesAreValidated(t *testing.T) {
	e := newEnv(t)
	specMu.Lock()
	before := specChecked
	specMu.Unlock()
	e.do("GET", "/api/devices", nil).want(t, 200)
	e.do("GET", "/api/calls/call_nope", nil).want(t, 404)
	specMu.Lock()
	after := specChecked
	specMu.Unlock()
	if after-before != 2 {
		t.Errorf("validated %d responses, want 2", after-before)
	}

	// A body that breaks the Device schema must be caught.
	req, res, body := fakeExchange(t, e, "/api/devices", `{"devices": [{"id": 7}], "total": 1}`)
	if err := validateAgainstSpec(req, res, body); err == nil {
		t.Error("an invalid response body passed validation")
	}
	req, res, body = fakeExchange(t, e, "/api/devices", `{"devices": [], "total": 0, "extra": true}`)
	if err := validateAgainstSpec(req, res, body); err == nil {
		t.Error("an undocumented field passed validation")
	}
}

func TestOpenAPIServedAndDocsPage(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/api/openapi.json", nil).want(t, 200)
	if r.body["openapi"] != "3.1.0" || r.body["paths"] == nil {
		t.Errorf("document: %.200s", r.raw)
	}
	page := e.do("GET", "/docs", nil).want(t, 200)
	html := string(page.raw)
	for _, want := range []string{"<script id=\"spec\"", "/api/calls/outbound", "Hold Slayer API"} {
		if !strings.Contains(html, want) {
			t.Errorf("docs page lacks %q", want)
		}
	}
	if strings.Contains(html, "http://") || strings.Contains(html, "https://") {
		t.Error("docs page refers to the network; it must be self-contained")
	}
}
