package notify

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/holdslayer/holdslayer/app"
)

func TestValidate(t *testing.T) {
	email := map[string]string{"host": "smtp.example.com", "from": "a@example.com", "to": "b@example.com"}
	sms := map[string]string{"account_sid": "AC1", "to": "+15550001111", "from": "+15550002222"}
	tests := []struct {
		name string
		t    Target
		want string // substring of the error; "" means valid
	}{
		{"email ok", Target{Name: "m", Kind: KindEmail, Config: email}, ""},
		{"no name", Target{Kind: KindEmail, Config: email}, "name"},
		{"bad kind", Target{Name: "x", Kind: "pager"}, "kind"},
		{"email no host", Target{Name: "m", Kind: KindEmail, Config: map[string]string{"from": "a@example.com", "to": "b@example.com"}}, "config.host"},
		{"email bad to", Target{Name: "m", Kind: KindEmail, Config: map[string]string{"host": "h", "from": "a@example.com", "to": "nope"}}, "config.to"},
		{"email bad tls", Target{Name: "m", Kind: KindEmail, Config: map[string]string{"host": "h", "from": "a@example.com", "to": "b@example.com", "tls": "maybe"}}, "config.tls"},
		{"email user without password", Target{Name: "m", Kind: KindEmail, Config: map[string]string{"host": "h", "from": "a@example.com", "to": "b@example.com", "username": "u"}}, "password"},
		{"sms ok", Target{Name: "s", Kind: KindSMS, Config: sms, Secrets: map[string]string{"auth_token": "t"}}, ""},
		{"sms no token", Target{Name: "s", Kind: KindSMS, Config: sms}, "auth_token"},
		{"sms bad to", Target{Name: "s", Kind: KindSMS, Config: map[string]string{"account_sid": "AC1", "to": "555", "from": "+1"}, Secrets: map[string]string{"auth_token": "t"}}, "E.164"},
		{"webhook ok", Target{Name: "w", Kind: KindWebhook, Config: map[string]string{"url": "https://example.com/h"}}, ""},
		{"webhook ftp", Target{Name: "w", Kind: KindWebhook, Config: map[string]string{"url": "ftp://example.com"}}, "config.url"},
		{"push ok", Target{Name: "p", Kind: KindPush, Secrets: map[string]string{"url": "ntfy://ntfy.sh/topic"}}, ""},
		{"push unknown scheme", Target{Name: "p", Kind: KindPush, Secrets: map[string]string{"url": "nosuch://x"}}, "shoutrrr"},
		{"push url in config only", Target{Name: "p", Kind: KindPush, Config: map[string]string{"url": "ntfy://ntfy.sh/topic"}}, "secrets.url"},
		{"desktop", Target{Name: "d", Kind: KindDesktop}, ""},
		{"browser with rules", Target{Name: "b", Kind: KindBrowser, Events: []string{"human_detected", "hold_longer_than:15", "wait_estimated"}}, ""},
		{"bad rule", Target{Name: "b", Kind: KindBrowser, Events: []string{"audio_classified"}}, "audio_classified"},
		{"bad hold rule", Target{Name: "b", Kind: KindBrowser, Events: []string{"hold_longer_than:0"}}, "hold_longer_than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.t.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !errors.Is(err, app.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want ErrInvalid mentioning %q", err, tc.want)
			}
		})
	}
}

func TestSecretsNeverShown(t *testing.T) {
	tg := Target{ID: "tgt_1", Name: "mail", Kind: KindEmail, Enabled: true,
		Config:  map[string]string{"host": "smtp.example.com", "username": "robert"},
		Secrets: map[string]string{"password": "hunter2-very-secret", "unused": ""}}
	v := tg.Redacted()
	if len(v.SecretsSet) != 1 || v.SecretsSet[0] != "password" {
		t.Fatalf("secrets_set %v", v.SecretsSet)
	}
	b, _ := json.Marshal(tg)
	var buf syncBuffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	log.Info("target", "target", tg)
	log.Info("as any", "t", any(tg))
	for name, s := range map[string]string{
		"json": string(b), "slog": buf.String(), "%v": fmt.Sprintf("%v %+v %s", tg, tg, tg), "view": fmt.Sprintf("%+v", v),
	} {
		if strings.Contains(s, "hunter2") {
			t.Errorf("%s shows the secret: %s", name, s)
		}
	}
	if !strings.Contains(string(b), `"secrets_set":["password"]`) {
		t.Errorf("json %s", b)
	}
	// The API decodes secrets from requests.
	var in Target
	if err := json.Unmarshal([]byte(`{"name":"m","kind":"email","secrets":{"password":"p4ss"}}`), &in); err != nil || in.Secrets["password"] != "p4ss" {
		t.Fatalf("decode: %v %+v", err, in.Secrets)
	}
}

func TestScrub(t *testing.T) {
	tg := Target{Secrets: map[string]string{"url": "telegram://123456:AAbbCCddEE@telegram?chats=@holdchan", "password": "pw-123456"}}
	msg := scrub(`post "https://api.telegram.org/bot123456:AAbbCCddEE/send": pw-123456 refused`, tg)
	if strings.Contains(msg, "AAbbCCddEE") || strings.Contains(msg, "pw-123456") {
		t.Fatalf("scrubbed: %s", msg)
	}
}

func TestMergeSecrets(t *testing.T) {
	got := mergeSecrets(map[string]string{"password": "old", "token": "t"}, map[string]string{"password": "", "token": "-", "new": "n"})
	if len(got) != 2 || got["password"] != "old" || got["new"] != "n" {
		t.Fatalf("%v", got)
	}
}
