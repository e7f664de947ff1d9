package notify

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/holdslayer/holdslayer/app"
)

func TestSMSThroughTwilioShapedFake(t *testing.T) {
	const sid, token = "AC0123456789abcdef0123456789abcdef", "twiliotoken987654321"
	type req struct {
		method, path, user, pass, ctype string
		ok                              bool
		to, from, body                  string
	}
	var mu sync.Mutex
	var reqs []req
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		_ = r.ParseForm()
		mu.Lock()
		reqs = append(reqs, req{r.Method, r.URL.Path, u, p, r.Header.Get("Content-Type"), ok,
			r.PostForm.Get("To"), r.PostForm.Get("From"), r.PostForm.Get("Body")})
		n := len(reqs)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if n == 1 { // the first attempt meets a Twilio outage
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"code":20503,"message":"Service unavailable","status":503}`))
			return
		}
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"sid":"SM123","status":"queued","to":"+15550001111","from":"+15550002222"}`))
	}))
	defer srv.Close()

	h := newHarness(t, Options{TwilioBaseURL: srv.URL})
	h.add(Target{Name: "sms", Kind: KindSMS, Enabled: true,
		Config:  map[string]string{"account_sid": sid, "to": "+15550001111", "from": "+15550002222"},
		Secrets: map[string]string{"auth_token": token}})
	h.publish(app.EventCallStarted, "call_s", map[string]any{"number": "+18005551234"})
	h.publish(app.EventHumanDetected, "call_s", map[string]any{"device": "cell"})
	if ev := h.next(); ev.Type != app.EventNotificationSent || ev.Data["attempts"] != 2 {
		t.Fatalf("event %v %v", ev.Type, ev.Data)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(reqs) != 2 {
		t.Fatalf("%d requests", len(reqs))
	}
	r := reqs[1]
	if r.method != http.MethodPost || r.path != "/2010-04-01/Accounts/"+sid+"/Messages.json" ||
		!r.ok || r.user != sid || r.pass != token || r.ctype != "application/x-www-form-urlencoded" {
		t.Fatalf("request %+v", r)
	}
	if r.to != "+15550001111" || r.from != "+15550002222" ||
		r.body != "Hold Slayer: a person answered at +18005551234. Ringing cell now." {
		t.Fatalf("form %+v", r)
	}
}

func TestSMS4xxIsPermanent(t *testing.T) {
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"code":21211,"message":"Invalid 'To' Phone Number","status":400}`))
	}))
	defer srv.Close()
	h := newHarness(t, Options{TwilioBaseURL: srv.URL})
	tg := h.add(Target{Name: "sms", Kind: KindSMS, Enabled: true,
		Config:  map[string]string{"account_sid": "AC1", "to": "+15550001111", "messaging_service_sid": "MG1"},
		Secrets: map[string]string{"auth_token": "tok12345"}})
	d, err := h.n.Test(t.Context(), tg.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != StatusFailed || d.Attempts != 1 {
		t.Fatalf("delivery %+v", d)
	}
	if ev := h.next(); ev.Type != app.EventNotificationFail || ev.Data["event_type"] != "test" {
		t.Fatalf("event %v %v", ev.Type, ev.Data)
	}
	mu.Lock()
	defer mu.Unlock()
	if n != 1 {
		t.Fatalf("%d requests", n)
	}
}
