package notify

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/holdslayer/holdslayer/app"
)

func TestPushThroughShoutrrrNtfy(t *testing.T) {
	type req struct{ path, title, body, auth string }
	got := make(chan req, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- req{r.URL.Path, r.Header.Get("Title"), string(b), r.Header.Get("Authorization")}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":"abc","event":"message","topic":"holdslayer"}`))
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")

	h := newHarness(t, Options{})
	h.add(Target{Name: "phone", Kind: KindPush, Enabled: true, Events: []string{"transfer_failed"},
		Secrets: map[string]string{"url": "ntfy://robert:ntfy-pass-777@" + host + "/holdslayer?scheme=http"}})
	h.publish(app.EventCallStarted, "call_p", map[string]any{"number": "+18005551234"})
	h.publish(app.EventTransferFailed, "call_p", map[string]any{"device": "desk", "error": "device busy"})
	if ev := h.next(); ev.Type != app.EventNotificationSent || ev.Data["target_kind"] != KindPush {
		t.Fatalf("event %v %v", ev.Type, ev.Data)
	}
	r := <-got
	if r.path != "/holdslayer" || r.title != "Transfer failed on your call to +18005551234" ||
		!strings.Contains(r.body, "Error: device busy") || r.auth == "" {
		t.Fatalf("request %+v", r)
	}
	if strings.Contains(h.logs.String(), "ntfy-pass-777") {
		t.Fatal("shoutrrr URL password reached the logs")
	}
}
