package navigator

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/holdslayer/holdslayer/app/speech/oaitest"
)

func newNav(t *testing.T, srv *oaitest.Server, mod func(*LLMConfig)) *Session {
	t.Helper()
	cfg := LLMConfig{APIKey: "sk-llm", BaseURL: srv.BaseURL(), Model: "test-model", Backoff: time.Millisecond, Retries: 2}
	if mod != nil {
		mod(&cfg)
	}
	n, err := NewLLMNavigator(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return n.NewSession(CallInfo{CallID: "c1", Intent: "dispute a charge", Company: "Acme Bank", Number: "+18005550100"})
}

func TestLLMDecideSendsToolsAndContext(t *testing.T) {
	srv := oaitest.New(t)
	srv.ScriptChat(oaitest.Reply{ToolCalls: []oaitest.ToolCall{{Name: "send_dtmf", Args: `{"digits":"3"}`}}})
	s := newNav(t, srv, nil)
	s.Heard("For balances press 1. To dispute a charge press 3.")
	d, err := s.Decide(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if d.Action.Kind != ActDTMF || d.Action.Digits != "3" || d.Turns != 1 || len(d.Choices) != 1 || !d.Choices[0].Accepted {
		t.Fatalf("decision %+v", d)
	}
	if ev := d.Choices[0].EventData(); ev["tool"] != "send_dtmf" || ev["arguments"] != `{"digits":"3"}` {
		t.Fatalf("event data %v", ev)
	}
	r := srv.Requests()[0]
	if r.Path != "/v1/chat/completions" || r.Model != "test-model" || r.Auth != "Bearer sk-llm" {
		t.Fatalf("request %+v", r)
	}
	names := map[string]map[string]any{}
	for _, tl := range r.Tools {
		fn := tl.(map[string]any)["function"].(map[string]any)
		names[fn["name"].(string)] = fn["parameters"].(map[string]any)
	}
	for _, want := range []string{"send_dtmf", "say", "wait", "report_hold", "report_human", "hang_up"} {
		if names[want] == nil || names[want]["type"] != "object" {
			t.Errorf("tool %s missing or without object schema: %v", want, names[want])
		}
	}
	if req := names["send_dtmf"]["required"].([]any); len(req) != 1 || req[0] != "digits" {
		t.Errorf("send_dtmf required %v", req)
	}
	if len(r.Messages) != 2 || r.Messages[0]["role"] != "system" || r.Messages[1]["role"] != "user" {
		t.Fatalf("messages %v", r.Messages)
	}
	sys := r.Messages[0]["content"].(string)
	if !strings.Contains(sys, "Acme Bank") || !strings.Contains(sys, "dispute a charge") {
		t.Fatalf("system prompt lacks company/intent: %s", sys)
	}
	if !strings.Contains(r.Messages[1]["content"].(string), "To dispute a charge press 3") {
		t.Fatalf("user message lacks transcript: %v", r.Messages[1])
	}

	// The next decision carries the history: the tool call and its result.
	srv.ScriptChat(oaitest.Reply{ToolCalls: []oaitest.ToolCall{{Name: "report_hold", Args: `{}`}}})
	s.Heard("Please hold.")
	if d, err = s.Decide(context.Background()); err != nil || d.Action.Kind != ActExpectHold {
		t.Fatalf("second decision %+v %v", d, err)
	}
	msgs := srv.Requests()[1].Messages
	if len(msgs) != 5 || msgs[2]["role"] != "assistant" || msgs[3]["role"] != "tool" || msgs[4]["role"] != "user" {
		t.Fatalf("history %v", msgs)
	}
}

func TestLLMMalformedToolCallsAreAnsweredAsErrors(t *testing.T) {
	srv := oaitest.New(t)
	srv.ScriptChat(
		oaitest.Reply{ToolCalls: []oaitest.ToolCall{{Name: "send_dtmf", Args: `{"digits": 3`}}},       // bad JSON
		oaitest.Reply{ToolCalls: []oaitest.ToolCall{{Name: "press_buttons", Args: `{"digits":"3"}`}}}, // unknown tool
		oaitest.Reply{ToolCalls: []oaitest.ToolCall{{Name: "send_dtmf", Args: `{"digits":"3a"}`}}},    // bad value
		oaitest.Reply{Content: "I think you should press 3."},                                         // no tool call
		oaitest.Reply{ToolCalls: []oaitest.ToolCall{{Name: "say", Args: `{"text":"representative"}`}}},
	)
	s := newNav(t, srv, func(c *LLMConfig) { c.MaxTurns = 5 })
	s.Heard("Tell me why you are calling.")
	d, err := s.Decide(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if d.Action.Kind != ActSpeak || d.Action.Text != "representative" || d.Turns != 5 || len(d.Choices) != 5 {
		t.Fatalf("decision %+v", d)
	}
	for i, c := range d.Choices[:4] {
		if c.Accepted || c.Error == "" {
			t.Errorf("choice %d %+v should be refused", i, c)
		}
	}
	if !strings.Contains(d.Choices[1].Error, "unknown tool") {
		t.Errorf("unknown tool error: %q", d.Choices[1].Error)
	}
	// The model saw each error as a tool message for its call id.
	reqs := srv.Requests()
	last := reqs[len(reqs)-1].Messages
	tools := 0
	for _, m := range last {
		if m["role"] == "tool" {
			tools++
			if !strings.Contains(m["content"].(string), "error") || m["tool_call_id"] == "" {
				t.Errorf("tool message %v", m)
			}
		}
	}
	if tools != 3 {
		t.Errorf("%d tool error messages, want 3", tools)
	}
}

func TestLLMTurnLimitAndArgumentTable(t *testing.T) {
	srv := oaitest.New(t)
	for i := 0; i < 3; i++ {
		srv.ScriptChat(oaitest.Reply{ToolCalls: []oaitest.ToolCall{{Name: "wait", Args: `{"seconds": 900}`}}})
	}
	s := newNav(t, srv, func(c *LLMConfig) { c.MaxTurns = 2 })
	d, err := s.Decide(context.Background())
	if !errors.Is(err, ErrNoDecision) || d.Turns != 2 || len(srv.Requests()) != 2 {
		t.Fatalf("err %v decision %+v", err, d)
	}
	cases := []struct {
		name, args string
		ok         bool
		kind       ActionKind
	}{
		{"send_dtmf", `{"digits":"0"}`, true, ActDTMF},
		{"send_dtmf", `{"digits":""}`, false, ""},
		{"send_dtmf", `{"digits":"1","extra":1}`, false, ""},
		{"say", `{"text":"billing"}`, true, ActSpeak},
		{"say", `{"text":""}`, false, ""},
		{"wait", `{"seconds":5}`, true, ActWait},
		{"wait", `{}`, false, ""},
		{"report_hold", ``, true, ActExpectHold},
		{"report_human", `{"confidence":0.8,"reason":"said hello, this is Sam"}`, true, ActHumanReported},
		{"report_human", `{"confidence":2,"reason":"x"}`, false, ""},
		{"hang_up", `{"reason":"office closed"}`, true, ActHangup},
		{"hang_up", `{}`, false, ""},
		{"transfer", `{}`, false, ""},
	}
	for _, c := range cases {
		a, err := parseToolCall(c.name, c.args)
		if (err == nil) != c.ok || a.Kind != c.kind {
			t.Errorf("%s(%s) = %+v, %v", c.name, c.args, a, err)
		}
	}
}

func TestLLMRetriesAndTimeouts(t *testing.T) {
	srv := oaitest.New(t)
	srv.ScriptChat(oaitest.Reply{Status: 429}, oaitest.Reply{Status: 500},
		oaitest.Reply{ToolCalls: []oaitest.ToolCall{{Name: "send_dtmf", Args: `{"digits":"0"}`}}})
	s := newNav(t, srv, nil)
	d, err := s.Decide(context.Background())
	if err != nil || d.Action.Digits != "0" || len(srv.Requests()) != 3 {
		t.Fatalf("decision %+v err %v after %d requests", d, err, len(srv.Requests()))
	}

	slow := oaitest.New(t)
	slow.ScriptChat(oaitest.Reply{Delay: time.Second}, oaitest.Reply{Delay: time.Second})
	s = newNav(t, slow, func(c *LLMConfig) { c.RequestTimeout = 100 * time.Millisecond; c.Retries = 1 })
	start := time.Now()
	if _, err := s.Decide(context.Background()); !errors.Is(err, ErrLLMUnavailable) {
		t.Fatalf("timeout: %v", err)
	}
	if time.Since(start) > 900*time.Millisecond || len(slow.Requests()) != 2 {
		t.Fatalf("timeouts not applied: %v, %d requests", time.Since(start), len(slow.Requests()))
	}

	auth := oaitest.New(t)
	auth.ScriptChat(oaitest.Reply{Status: 401})
	s = newNav(t, auth, nil)
	if _, err := s.Decide(context.Background()); !errors.Is(err, ErrLLMUnavailable) || len(auth.Requests()) != 1 {
		t.Fatalf("401: %v after %d requests", err, len(auth.Requests()))
	}

	budget := oaitest.New(t)
	budget.ScriptChat(oaitest.Reply{Delay: time.Second}, oaitest.Reply{Delay: time.Second}, oaitest.Reply{Delay: time.Second})
	s = newNav(t, budget, func(c *LLMConfig) { c.Budget = 150 * time.Millisecond; c.Retries = 2 })
	start = time.Now()
	if _, err := s.Decide(context.Background()); !errors.Is(err, ErrLLMUnavailable) || time.Since(start) > 900*time.Millisecond {
		t.Fatalf("budget: %v after %v", err, time.Since(start))
	}
}
