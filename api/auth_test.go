package api

import (
	"net/http"
	"strings"
	"testing"
)

const testToken = "s3cret-token-value-0123456789"

func TestAuthRequiredWhenTokenSet(t *testing.T) {
	mcp := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("mcp:" + r.URL.Path)) })
	e := newEnv(t, withToken(testToken), withMounts(Mount{Path: "/mcp", Handler: mcp, Auth: true}))

	for _, p := range []string{"/api/calls", "/api/calls/history", "/api/devices", "/api/call-flows", "/api/calls/call_x"} {
		e.doAuth("GET", p, nil, "").wantError(t, 401, "missing API token")
		e.doAuth("GET", p, nil, "wrong-token").wantError(t, 401, "invalid API token")
		if r := e.doAuth("GET", p, nil, testToken); r.status == 401 {
			t.Errorf("%s refused the right token", p)
		}
	}
	e.doAuth("POST", "/api/calls/outbound", seedOutbound, "").wantError(t, 401)
	if len(e.calls.placed) != 0 {
		t.Error("an unauthenticated call reached the engine")
	}

	r := e.doAuth("GET", "/api/calls", nil, "")
	if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("401 without WWW-Authenticate: %v", r.header)
	}

	// Wrong scheme.
	req, _ := http.NewRequest("GET", e.srv.URL+"/api/calls", nil)
	req.Header.Set("Authorization", "Basic "+testToken)
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 401 {
		t.Errorf("Basic auth got %d", res.StatusCode)
	}
	// ?token= is for the WebSocket only.
	e.doAuth("GET", "/api/calls?token="+testToken, nil, "").wantError(t, 401)

	// Health, readiness and the API document stay open.
	e.doAuth("GET", "/healthz", nil, "").want(t, 200)
	e.doAuth("GET", "/readyz", nil, "").want(t, 200)
	e.doAuth("GET", "/api/openapi.json", nil, "").want(t, 200)

	// A protected mount.
	res, err = e.srv.Client().Get(e.srv.URL + "/mcp/sse")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 401 {
		t.Errorf("/mcp without token: %d", res.StatusCode)
	}
	req, _ = http.NewRequest("GET", e.srv.URL+"/mcp/sse", nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	res, err = e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("/mcp with token: %d", res.StatusCode)
	}

	if strings.Contains(e.logBuf.String(), testToken) || strings.Contains(e.logBuf.String(), "wrong-token") {
		t.Error("a token appeared in the log")
	}
}

func TestAuthOffWithoutToken(t *testing.T) {
	e := newEnv(t)
	e.doAuth("GET", "/api/calls", nil, "").want(t, 200)
	e.doAuth("GET", "/api/devices", nil, "anything").want(t, 200)
}

func TestTokenEqual(t *testing.T) {
	if !tokenEqual("abc", "abc") || tokenEqual("abc", "abd") || tokenEqual("", "abc") || tokenEqual("abc", "abcd") {
		t.Error("tokenEqual is wrong")
	}
}

func TestRoutingErrorsAndMounts(t *testing.T) {
	dash := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("dashboard " + r.URL.Path)) })
	e := newEnv(t, withMounts(Mount{Path: "/", Handler: dash}))
	e.do("GET", "/api/nothing", nil).wantError(t, 404, "no route", "/api/nothing")
	e.do("DELETE", "/api/calls/outbound", nil).wantError(t, 405, "DELETE")
	e.do("PATCH", "/api/devices", nil).wantError(t, 405)

	for _, p := range []string{"/", "/app.js"} {
		res, err := e.srv.Client().Get(e.srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 64)
		n, _ := res.Body.Read(buf)
		res.Body.Close()
		if string(buf[:n]) != "dashboard "+p {
			t.Errorf("GET %s = %q, want the dashboard", p, buf[:n])
		}
	}

	plain := newEnv(t)
	res, err := plain.srv.Client().Get(plain.srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Errorf("placeholder at /: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	plain.do("GET", "/elsewhere", nil).wantError(t, 404, "/elsewhere")
}

func TestHealthAndReadiness(t *testing.T) {
	e := newEnv(t)
	e.do("GET", "/healthz", nil).want(t, 200)
	r := e.do("GET", "/readyz", nil).want(t, 200)
	if r.body["status"] != "ready" {
		t.Errorf("readyz = %s", r.raw)
	}
	e.calls.mu.Lock()
	e.calls.ready = false
	e.calls.mu.Unlock()
	e.do("GET", "/readyz", nil).wantError(t, 503, "telephony")
	e.calls.mu.Lock()
	e.calls.ready = true
	e.calls.mu.Unlock()
	_ = e.store.Close()
	r = e.do("GET", "/readyz", nil)
	r.wantError(t, 503, "database")
	if r.body["checks"].(map[string]any)["telephony"] != "ok" {
		t.Errorf("checks = %v", r.body["checks"])
	}
}
