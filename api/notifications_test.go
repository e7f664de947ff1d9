package api

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/holdslayer/holdslayer/app/notify"
)

const (
	apiWebhookSecret = "whsec-do-not-show-me-42"
	apiSMTPPassword  = "smtp-pass-do-not-show-me"
)

// webhookReceiver is a real HTTP endpoint that checks each POST's HMAC-SHA256 signature with
// the shared secret (notify.Sign's scheme); /dead always answers 500.
type webhookReceiver struct {
	srv *httptest.Server
	mu  sync.Mutex
	ok  int // posts whose signature verified
	bad int
}

func newWebhookReceiver(t *testing.T) *webhookReceiver {
	w := &webhookReceiver{}
	w.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path == "/dead" {
			rw.WriteHeader(http.StatusInternalServerError)
			return
		}
		ts := r.Header.Get(notify.HeaderTimestamp)
		verified := ts != "" && r.Header.Get(notify.HeaderSignature) == notify.Sign(apiWebhookSecret, ts, body)
		w.mu.Lock()
		if verified {
			w.ok++
		} else {
			w.bad++
		}
		w.mu.Unlock()
		rw.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(w.srv.Close)
	return w
}

func (w *webhookReceiver) counts() (int, int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.ok, w.bad
}

func TestNotificationTargetsAPI(t *testing.T) {
	e := newExtEnv(t)
	r := e.do("GET", "/api/notifications/targets", nil).want(t, 200)
	if r.body["total"].(float64) != 0 {
		t.Fatalf("fresh list: %s", r.raw)
	}

	mail := map[string]any{
		"name": "Robert's mail", "kind": "email", "events": []string{"human_detected", "hold_longer_than:20"},
		"config":  map[string]string{"host": "smtp.example.com", "port": "587", "from": "hs@example.com", "to": "robert@example.com", "username": "robert"},
		"secrets": map[string]string{"password": apiSMTPPassword},
	}
	r = e.do("POST", "/api/notifications/targets", mail).want(t, 201)
	id, _ := r.body["id"].(string)
	if !strings.HasPrefix(id, "tgt_") || r.body["enabled"] != true {
		t.Fatalf("created: %s", r.raw)
	}
	if set := r.body["secrets_set"].([]any); len(set) != 1 || set[0] != "password" {
		t.Errorf("secrets_set = %v", set)
	}
	// A PUT that leaves the password out keeps it, and changes the rest.
	upd := map[string]any{"name": "mail", "kind": "email", "enabled": false, "events": []string{"call_failed"},
		"config": map[string]string{"host": "smtp2.example.com", "from": "hs@example.com", "to": "robert@example.com", "username": "robert"}}
	r = e.do("PUT", "/api/notifications/targets/"+id, upd).want(t, 200)
	if r.body["enabled"] != false || r.body["config"].(map[string]any)["host"] != "smtp2.example.com" {
		t.Errorf("updated: %s", r.raw)
	}
	stored, err := e.store.GetTarget(t.Context(), id)
	if err != nil || stored.Secrets["password"] != apiSMTPPassword || stored.Name != "mail" {
		t.Fatalf("stored after PUT: %v, %v", stored, err)
	}
	r = e.do("GET", "/api/notifications/targets/"+id, nil).want(t, 200)
	if r.body["name"] != "mail" {
		t.Errorf("get: %s", r.raw)
	}
	// "-" removes a secret; then validation needs it back (username set, no password).
	upd["secrets"] = map[string]string{"password": "-"}
	e.do("PUT", "/api/notifications/targets/"+id, upd).wantError(t, 400, "password")

	// Own id on POST; a second POST with it conflicts.
	hook := map[string]any{"id": "tgt_hook", "name": "hook", "kind": "webhook",
		"config": map[string]string{"url": "https://example.com/h"}, "secrets": map[string]string{"secret": apiWebhookSecret}}
	e.do("POST", "/api/notifications/targets", hook).want(t, 201)
	e.do("POST", "/api/notifications/targets", hook).wantError(t, 409, "tgt_hook")
	r = e.do("GET", "/api/notifications/targets", nil).want(t, 200)
	if list := r.body["targets"].([]any); len(list) != 2 || list[0].(map[string]any)["id"] != id || list[1].(map[string]any)["id"] != "tgt_hook" {
		t.Fatalf("list: %s", r.raw)
	}

	for name, tc := range map[string]struct {
		body any
		frag string
	}{
		"bad kind":      {map[string]any{"name": "x", "kind": "pager"}, "kind"},
		"no name":       {map[string]any{"kind": "browser"}, "name"},
		"bad rule":      {map[string]any{"name": "x", "kind": "browser", "events": []string{"audio_classified"}}, "audio_classified"},
		"unknown field": {`{"name":"x","kind":"browser","colour":"red"}`, "colour"},
		"malformed":     {`{"name":`, "malformed"},
		"webhook url":   {map[string]any{"name": "x", "kind": "webhook", "config": map[string]string{"url": "ftp://x"}}, "url"},
	} {
		t.Run(name, func(t *testing.T) {
			e := *e
			e.t = t
			e.do("POST", "/api/notifications/targets", tc.body).wantError(t, 400, tc.frag)
		})
	}
	e.do("PUT", "/api/notifications/targets/tgt_hook", map[string]any{"id": "other", "name": "x", "kind": "browser"}).wantError(t, 400, "id")
	e.do("GET", "/api/notifications/targets/tgt_nope", nil).wantError(t, 404, "tgt_nope")
	e.do("PUT", "/api/notifications/targets/tgt_nope", map[string]any{"name": "x", "kind": "browser"}).wantError(t, 404, "tgt_nope")
	e.do("DELETE", "/api/notifications/targets/tgt_hook", nil).want(t, 204)
	e.do("DELETE", "/api/notifications/targets/tgt_hook", nil).wantError(t, 404, "tgt_hook")

	// Secrets are write-only: never in a response, never in a log line.
	for _, p := range []string{"/api/notifications/targets", "/api/notifications/targets/" + id} {
		if raw := string(e.do("GET", p, nil).raw); strings.Contains(raw, apiSMTPPassword) {
			t.Errorf("%s shows the password: %s", p, raw)
		}
	}
	if logs := e.logs.String(); strings.Contains(logs, apiSMTPPassword) || strings.Contains(logs, apiWebhookSecret) {
		t.Errorf("a secret reached the logs:\n%s", logs)
	}
}

func TestNotificationTestAndDeliveriesAPI(t *testing.T) {
	e := newExtEnv(t)
	recv := newWebhookReceiver(t)
	mk := func(name, path string) string {
		r := e.do("POST", "/api/notifications/targets", map[string]any{"name": name, "kind": "webhook", "enabled": false,
			"config": map[string]string{"url": recv.srv.URL + path}, "secrets": map[string]string{"secret": apiWebhookSecret}}).want(t, 201)
		return r.body["id"].(string)
	}
	good, dead := mk("good", "/hook"), mk("dead", "/dead")

	// A disabled target can still be tested; the receiver verifies the signature.
	r := e.do("POST", "/api/notifications/test", map[string]string{"target_id": good}).want(t, 200)
	d := r.body["delivery"].(map[string]any)
	if r.body["ok"] != true || d["status"] != "sent" || d["target_id"] != good || d["attempts"].(float64) != 1 {
		t.Fatalf("test of a good target: %s", r.raw)
	}
	if ok, bad := recv.counts(); ok != 1 || bad != 0 {
		t.Fatalf("receiver: %d verified, %d bad signatures", ok, bad)
	}
	// A failing target is a 200 with ok=false and the reason, not an error.
	r = e.do("POST", "/api/notifications/test", map[string]string{"target_id": dead}).want(t, 200)
	d = r.body["delivery"].(map[string]any)
	if r.body["ok"] != false || d["status"] != "failed" || !strings.Contains(d["error"].(string), "500") {
		t.Fatalf("test of a dead target: %s", r.raw)
	}
	e.do("POST", "/api/notifications/test", map[string]string{"target_id": "tgt_nope"}).wantError(t, 404, "tgt_nope")
	e.do("POST", "/api/notifications/test", map[string]string{}).wantError(t, 400, "target_id")
	e.do("POST", "/api/notifications/test", `{"target":"x"}`).wantError(t, 400, "target")

	r = e.do("GET", "/api/notifications/deliveries", nil).want(t, 200)
	list := r.body["deliveries"].([]any)
	if len(list) != 2 || list[0].(map[string]any)["target_id"] != dead || list[1].(map[string]any)["target_id"] != good {
		t.Fatalf("deliveries newest first: %s", r.raw)
	}
	r = e.do("GET", "/api/notifications/deliveries?target_id="+good, nil).want(t, 200)
	if r.body["total"].(float64) != 1 {
		t.Fatalf("by target: %s", r.raw)
	}
	r = e.do("GET", "/api/notifications/deliveries?limit=1", nil).want(t, 200)
	if r.body["total"].(float64) != 1 {
		t.Fatalf("limit: %s", r.raw)
	}
	r = e.do("GET", "/api/notifications/deliveries?call_id=call_x", nil).want(t, 200)
	if r.body["total"].(float64) != 0 {
		t.Fatalf("by call: %s", r.raw)
	}
	for _, q := range []string{"limit=0", "limit=501", "limit=ten"} {
		e.do("GET", "/api/notifications/deliveries?"+q, nil).wantError(t, 400, "limit")
	}
	// The history outlives the target.
	e.do("DELETE", "/api/notifications/targets/"+dead, nil).want(t, 204)
	r = e.do("GET", "/api/notifications/deliveries?target_id="+dead, nil).want(t, 200)
	if r.body["total"].(float64) != 1 {
		t.Fatalf("history of a deleted target: %s", r.raw)
	}
	if strings.Contains(e.logs.String(), apiWebhookSecret) {
		t.Error("the webhook secret reached the logs")
	}
}
