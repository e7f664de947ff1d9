package api

import (
	"net/http"
	"strings"
	"testing"
)

// The seed's example request for POST /api/call-flows.
const seedFlow = `{
  "name": "Chase Bank — Disputes",
  "company": "Chase Bank",
  "phone_number": "+18005551234",
  "tags": ["banking", "disputes"],
  "steps": [
    {"id": "wait", "type": "WAIT", "description": "Wait for greeting", "timeout": 5.0, "next_step": "menu"},
    {"id": "menu", "type": "LISTEN", "description": "Main menu", "next_step": "press3"},
    {"id": "press3", "type": "DTMF", "description": "Account services", "dtmf": "3", "next_step": "hold"},
    {"id": "hold", "type": "HOLD", "description": "Wait for agent", "next_step": "transfer"},
    {"id": "transfer", "type": "TRANSFER", "description": "Connect to user"}
  ]
}`

func TestFlowCRUDSeedExample(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "/api/call-flows", seedFlow).want(t, http.StatusCreated)
	if r.body["id"] != "chase_bank_disputes" || r.body["step_count"].(float64) != 5 || r.body["company"] != "Chase Bank" {
		t.Fatalf("created flow: %s", r.raw)
	}
	steps := r.body["steps"].([]any)
	press := steps[2].(map[string]any)
	if press["id"] != "press3" || press["type"] != "DTMF" || press["dtmf"] != "3" || press["next_step"] != "hold" {
		t.Errorf("step 3 = %v", press)
	}
	if steps[0].(map[string]any)["timeout"].(float64) != 5 {
		t.Errorf("timeout lost: %v", steps[0])
	}
	e.do("POST", "/api/call-flows", seedFlow).wantError(t, 409, "already exists", "chase_bank_disputes")

	other := strings.NewReplacer("Chase Bank — Disputes", "Acme Support", `"Chase Bank"`, `"Acme"`,
		`["banking", "disputes"]`, `["support"]`).Replace(seedFlow)
	e.do("POST", "/api/call-flows", other).want(t, 201)

	r = e.do("GET", "/api/call-flows", nil).want(t, 200)
	flows := r.body["flows"].([]any)
	if len(flows) != 2 {
		t.Fatalf("flows = %s", r.raw)
	}
	var chase map[string]any
	for _, f := range flows {
		if m := f.(map[string]any); m["id"] == "chase_bank_disputes" {
			chase = m
		}
	}
	want := map[string]any{"name": "Chase Bank — Disputes", "company": "Chase Bank", "phone_number": "+18005551234",
		"step_count": 5.0, "success_count": 0.0, "fail_count": 0.0}
	for k, v := range want {
		if chase[k] != v {
			t.Errorf("summary %s = %v, want %v", k, chase[k], v)
		}
	}
	if _, hasSteps := chase["steps"]; hasSteps {
		t.Error("the list carries steps; it should carry summaries")
	}

	byCompany := e.do("GET", "/api/call-flows?company=Chase+Bank", nil).want(t, 200).body["flows"].([]any)
	if len(byCompany) != 1 || byCompany[0].(map[string]any)["id"] != "chase_bank_disputes" {
		t.Errorf("?company= gave %v", byCompany)
	}
	byTag := e.do("GET", "/api/call-flows?tag=support", nil).want(t, 200).body["flows"].([]any)
	if len(byTag) != 1 || byTag[0].(map[string]any)["id"] != "acme_support" {
		t.Errorf("?tag= gave %v", byTag)
	}
	if none := e.do("GET", "/api/call-flows?tag=nothing", nil).want(t, 200).body["flows"].([]any); len(none) != 0 {
		t.Errorf("?tag=nothing gave %v", none)
	}

	full := e.do("GET", "/api/call-flows/chase_bank_disputes", nil).want(t, 200)
	if len(full.body["steps"].([]any)) != 5 {
		t.Errorf("get flow: %s", full.raw)
	}

	updated := strings.Replace(seedFlow, `"dtmf": "3"`, `"dtmf": "4"`, 1)
	r = e.do("PUT", "/api/call-flows/chase_bank_disputes", updated).want(t, 200)
	if r.body["steps"].([]any)[2].(map[string]any)["dtmf"] != "4" {
		t.Errorf("update did not stick: %s", r.raw)
	}
	e.do("PUT", "/api/call-flows/nope", updated).wantError(t, 404, "nope")
	e.do("PUT", "/api/call-flows/chase_bank_disputes", strings.Replace(updated, `"name"`, `"id": "other", "name"`, 1)).
		wantError(t, 400, "does not match")

	e.do("DELETE", "/api/call-flows/chase_bank_disputes", nil).want(t, 204)
	e.do("GET", "/api/call-flows/chase_bank_disputes", nil).wantError(t, 404, "chase_bank_disputes")
	e.do("DELETE", "/api/call-flows/chase_bank_disputes", nil).wantError(t, 404, "chase_bank_disputes")
}

func TestFlowValidation(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name, body string
		fragments  []string
	}{
		{"unknown step type", `{"name": "x", "steps": [{"id": "a", "type": "JUMP"}]}`, []string{"unknown type", "JUMP", `"a"`}},
		{"next_step nowhere", `{"name": "x", "steps": [{"id": "a", "type": "WAIT", "next_step": "b"}, {"id": "c", "type": "TRANSFER"}]}`, []string{"next_step", `"b"`, "not a step"}},
		{"no terminal step", `{"name": "x", "steps": [{"id": "a", "type": "WAIT", "next_step": "b"}, {"id": "b", "type": "HOLD", "next_step": "a"}]}`, []string{"no terminal step"}},
		{"duplicate step id", `{"name": "x", "steps": [{"id": "a", "type": "WAIT"}, {"id": "a", "type": "HOLD"}]}`, []string{"duplicate step id", `"a"`}},
		{"bad dtmf", `{"name": "x", "steps": [{"id": "p", "type": "DTMF", "dtmf": "9!"}]}`, []string{"invalid DTMF", `'!'`, `step "p"`}},
		{"dtmf missing", `{"name": "x", "steps": [{"id": "p", "type": "DTMF"}]}`, []string{"steps[0].dtmf", "required"}},
		{"self loop", `{"name": "x", "steps": [{"id": "a", "type": "WAIT", "next_step": "a"}, {"id": "t", "type": "TRANSFER"}]}`, []string{"itself"}},
		{"no steps", `{"name": "x", "steps": []}`, []string{"at least one step"}},
		{"no name", `{"steps": [{"id": "a", "type": "TRANSFER"}]}`, []string{`"name"`, "required"}},
		{"step without id", `{"name": "x", "steps": [{"type": "TRANSFER"}]}`, []string{"step 0 has no id"}},
		{"bad phone", `{"name": "x", "phone_number": "800-555", "steps": [{"id": "a", "type": "TRANSFER"}]}`, []string{"E.164", "phone_number"}},
		{"negative timeout", `{"name": "x", "steps": [{"id": "a", "type": "WAIT", "timeout": -1}]}`, []string{"timeout"}},
		{"timeout wrong type", `{"name": "x", "steps": [{"id": "a", "type": "WAIT", "timeout": "5s"}]}`, []string{"timeout", "number"}},
		{"bad id", `{"id": "a/b", "name": "x", "steps": [{"id": "a", "type": "TRANSFER"}]}`, []string{`"id"`}},
		{"malformed", `{"name": "x", "steps": [`, []string{"malformed JSON"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.with(t).do("POST", "/api/call-flows", tc.body).wantError(t, 400, tc.fragments...)
		})
	}
	if n := len(e.do("GET", "/api/call-flows", nil).body["flows"].([]any)); n != 0 {
		t.Errorf("%d invalid flows were stored", n)
	}
	e.do("POST", "/api/call-flows", seedFlow).want(t, 201)
	e.do("PUT", "/api/call-flows/chase_bank_disputes", cases[0].body).wantError(t, 400, "JUMP")
}
