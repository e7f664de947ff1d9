package api

import (
	"net/http"
	"testing"
)

const seedDevice = `{
  "name": "Office SIP Phone",
  "type": "sip_phone",
  "sip_uri": "sip:robert@gateway.helu.ca",
  "priority": 10,
  "capabilities": ["voice"]
}`

func TestDeviceCRUDSeedExample(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "/api/devices", seedDevice).want(t, http.StatusCreated)
	id := r.body["id"].(string)
	if id == "" || r.body["name"] != "Office SIP Phone" || r.body["type"] != "sip_phone" ||
		r.body["sip_uri"] != "sip:robert@gateway.helu.ca" || r.body["priority"].(float64) != 10 ||
		r.body["is_online"] != false || r.body["capabilities"].([]any)[0] != "voice" {
		t.Fatalf("created device: %s", r.raw)
	}
	e.do("POST", "/api/devices", seedDevice).wantError(t, 409, "already registered", "sip:robert@gateway.helu.ca")

	cell := e.do("POST", "/api/devices", `{"name": "Cell", "type": "cell", "endpoint": "PJSIP/cell-trunk", "priority": 5}`).
		want(t, 201).body["id"].(string)

	list := e.do("GET", "/api/devices", nil).want(t, 200)
	devs := list.body["devices"].([]any)
	if len(devs) != 2 {
		t.Fatalf("devices = %s", list.raw)
	}
	for _, d := range devs {
		m := d.(map[string]any)
		for _, k := range []string{"id", "name", "type", "sip_uri", "is_online", "priority"} {
			if _, ok := m[k]; !ok {
				t.Errorf("device without %s: %v", k, m)
			}
		}
	}

	r = e.do("PUT", "/api/devices/"+id, `{"name": "Desk", "sip_uri": "sip:robert@gateway.helu.ca", "priority": 20, "is_online": true}`).want(t, 200)
	if r.body["name"] != "Desk" || r.body["priority"].(float64) != 20 || r.body["is_online"] != true || r.body["type"] != "sip_phone" {
		t.Errorf("updated device: %s", r.raw)
	}
	e.do("PUT", "/api/devices/"+cell, `{"name": "Cell", "sip_uri": "sip:robert@gateway.helu.ca"}`).
		wantError(t, 409, "already registered")
	e.do("PUT", "/api/devices/dev_missing", seedDevice).wantError(t, 404, "dev_missing")
	if g := e.do("GET", "/api/devices/"+id, nil).want(t, 200); g.body["name"] != "Desk" {
		t.Errorf("get device: %s", g.raw)
	}

	e.do("DELETE", "/api/devices/"+id, nil).want(t, 204)
	e.do("GET", "/api/devices/"+id, nil).wantError(t, 404, id)
	e.do("DELETE", "/api/devices/"+id, nil).wantError(t, 404, id)
	// The freed sip_uri can be registered again.
	e.do("POST", "/api/devices", seedDevice).want(t, 201)
}

func TestDeviceValidation(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name, body string
		fragments  []string
	}{
		{"no name", `{"sip_uri": "sip:a@b"}`, []string{`"name"`, "required"}},
		{"no address", `{"name": "x"}`, []string{"sip_uri", "endpoint"}},
		{"bad sip uri", `{"name": "x", "sip_uri": "robert@host"}`, []string{"invalid sip_uri"}},
		{"bad endpoint", `{"name": "x", "endpoint": "robert"}`, []string{"invalid endpoint"}},
		{"unknown type", `{"name": "x", "type": "pager", "sip_uri": "sip:a@b"}`, []string{"unknown device type", "pager"}},
		{"priority type", `{"name": "x", "sip_uri": "sip:a@b", "priority": "high"}`, []string{`"priority"`, "integer"}},
		{"priority range", `{"name": "x", "sip_uri": "sip:a@b", "priority": -1}`, []string{"priority"}},
		{"capabilities type", `{"name": "x", "sip_uri": "sip:a@b", "capabilities": "voice"}`, []string{"capabilities", "array"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.with(t).do("POST", "/api/devices", tc.body).wantError(t, 400, tc.fragments...)
		})
	}
}
