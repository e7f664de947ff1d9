package store

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/holdslayer/holdslayer/app"
)

func testFlows(t *testing.T, s *Store) {
	ctx := context.Background()
	f := aFlow()
	if err := s.CreateFlow(ctx, &f); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(f.ID, "flow_") {
		t.Fatalf("generated id %q, want flow_ prefix", f.ID)
	}
	if f.CreatedAt.IsZero() || !f.UpdatedAt.Equal(f.CreatedAt) {
		t.Fatalf("timestamps not set: %v %v", f.CreatedAt, f.UpdatedAt)
	}
	got, err := s.GetFlow(ctx, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "flow read back", got, f)
	if *got.Steps[0].Timeout != 3 || got.Steps[2].DTMF != "3" || got.Steps[4].NextStep != "" {
		t.Fatalf("steps lost detail: %+v", got.Steps)
	}

	created := got.CreatedAt
	time.Sleep(2 * time.Millisecond) // so UpdatedAt visibly moves
	got.Name = "Chase - Disputes (v2)"
	got.Tags = []string{"banking"}
	got.Steps = got.Steps[2:]
	got.SuccessCount, got.FailCount = 4, 1
	got.Stale = true
	got.LastVerifiedAt = ptr(base.Add(time.Hour))
	got.CreatedAt = time.Time{} // the store keeps the original
	if err := s.UpdateFlow(ctx, &got); err != nil {
		t.Fatal(err)
	}
	if !got.CreatedAt.Equal(created) || !got.UpdatedAt.After(created) {
		t.Fatalf("update timestamps: created %v (want %v), updated %v", got.CreatedAt, created, got.UpdatedAt)
	}
	if !got.LastVerifiedAt.Equal(at(time.Hour)) {
		t.Fatalf("last verified = %v", got.LastVerifiedAt)
	}
	again, err := s.GetFlow(ctx, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "updated flow", again, got)

	// Empty lists read back as empty, not nil, so JSON shows [] rather than null.
	bare := app.CallFlow{ID: "chase_bank_disputes", Name: "bare"}
	if err := s.CreateFlow(ctx, &bare); err != nil {
		t.Fatal(err)
	}
	if bare.ID != "chase_bank_disputes" || bare.Tags == nil || bare.Steps == nil {
		t.Fatalf("bare flow = %+v", bare)
	}
	dup := aFlow(func(d *app.CallFlow) { d.ID = "chase_bank_disputes" })
	wantErr(t, s.CreateFlow(ctx, &dup), app.ErrConflict, "chase_bank_disputes")

	_, err = s.GetFlow(ctx, "flow_missing")
	wantErr(t, err, app.ErrNotFound, "call flow not found: flow_missing")
	missing := aFlow(func(m *app.CallFlow) { m.ID = "flow_missing" })
	wantErr(t, s.UpdateFlow(ctx, &missing), app.ErrNotFound, "flow_missing")

	if err := s.DeleteFlow(ctx, f.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetFlow(ctx, f.ID)
	wantErr(t, err, app.ErrNotFound, f.ID)
	wantErr(t, s.DeleteFlow(ctx, f.ID), app.ErrNotFound, f.ID)
}

func testListFlows(t *testing.T, s *Store) {
	ctx := context.Background()
	mk := func(id, company, phone string, tags ...string) {
		createFlow(t, s, func(f *app.CallFlow) {
			f.ID, f.Name, f.Company, f.PhoneNumber, f.Tags = id, id, company, phone, tags
		})
	}
	mk("a", "Chase Bank", "+18005551234", "banking", "disputes")
	mk("b", "chase bank", "+18005551235", "banking", "cards")
	mk("c", "Chase", "+18005551234", "dispute")
	mk("d", "Comcast", "+18005550000", "50%_off", `quo"te`)
	mk("e", "Comcast", "+18005550001")
	ids := func(fs []app.CallFlow) []string {
		out := []string{}
		for _, f := range fs {
			out = append(out, f.ID)
		}
		slices.Sort(out)
		return out
	}
	cases := []struct {
		name string
		f    app.FlowFilter
		want []string
	}{
		{"all", app.FlowFilter{}, []string{"a", "b", "c", "d", "e"}},
		{"company any case, exact", app.FlowFilter{Company: "CHASE BANK"}, []string{"a", "b"}},
		{"company exact, not prefix", app.FlowFilter{Company: "chase"}, []string{"c"}},
		{"tag exact", app.FlowFilter{Tag: "dispute"}, []string{"c"}},
		{"tag shared", app.FlowFilter{Tag: "banking"}, []string{"a", "b"}},
		{"tag with like wildcards", app.FlowFilter{Tag: "50%_off"}, []string{"d"}},
		{"wildcard is literal", app.FlowFilter{Tag: "%"}, []string{}},
		{"tag with a quote", app.FlowFilter{Tag: `quo"te`}, []string{"d"}},
		{"tag part is no match", app.FlowFilter{Tag: "bank"}, []string{}},
		{"phone", app.FlowFilter{PhoneNumber: "+18005551234"}, []string{"a", "c"}},
		{"company and tag", app.FlowFilter{Company: "chase bank", Tag: "cards"}, []string{"b"}},
		{"phone and company", app.FlowFilter{Company: "Chase", PhoneNumber: "+18005551234"}, []string{"c"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.ListFlows(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			equal(t, "ids", ids(got), tc.want)
		})
	}
}

func testDevices(t *testing.T, s *Store) {
	ctx := context.Background()
	d := aDevice()
	if err := s.CreateDevice(ctx, &d); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(d.ID, "dev_") {
		t.Fatalf("generated id %q, want dev_ prefix", d.ID)
	}
	got, err := s.GetDevice(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "device read back", got, d)

	dup := aDevice(func(x *app.Device) { x.Name = "Another" })
	wantErr(t, s.CreateDevice(ctx, &dup), app.ErrConflict, "device already registered: sip:robert@192.168.1.100")
	sameID := aDevice(func(x *app.Device) { x.ID = d.ID; x.SIPURI = "sip:other@example.com" })
	wantErr(t, s.CreateDevice(ctx, &sameID), app.ErrConflict, d.ID)

	cell := createDevice(t, s, func(x *app.Device) {
		x.ID, x.Name, x.Type, x.SIPURI, x.Endpoint, x.Priority = "dev_001", "Cell", "cell", "", "PJSIP/+15555550100@trunk", 20
		x.Capabilities = nil
		x.IsOnline = false
	})
	// Devices without a SIP URI do not collide with each other.
	soft := createDevice(t, s, func(x *app.Device) { x.Name, x.SIPURI, x.Priority = "Softphone", "", 5 })
	if cell.Capabilities == nil || len(cell.Capabilities) != 0 {
		t.Fatalf("nil capabilities read back as %#v", cell.Capabilities)
	}

	list, err := s.ListDevices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, x := range list {
		names = append(names, x.Name)
	}
	equal(t, "devices by priority", names, []string{"Cell", "Office SIP Phone", "Softphone"})

	// Taking another device's URI on update is a conflict too.
	soft.SIPURI = d.SIPURI
	wantErr(t, s.UpdateDevice(ctx, &soft), app.ErrConflict, d.SIPURI)

	created := d.CreatedAt
	d.IsOnline = false
	d.Priority = 1
	d.Capabilities = []string{"voice", "video"}
	d.Endpoint = "PJSIP/robert"
	d.CreatedAt = time.Time{}
	if err := s.UpdateDevice(ctx, &d); err != nil {
		t.Fatal(err)
	}
	if !d.CreatedAt.Equal(created) {
		t.Fatalf("created at changed: %v -> %v", created, d.CreatedAt)
	}
	again, err := s.GetDevice(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "updated device", again, d)

	missing := aDevice(func(x *app.Device) { x.ID = "dev_missing"; x.SIPURI = "sip:new@example.com" })
	wantErr(t, s.UpdateDevice(ctx, &missing), app.ErrNotFound, "device not found: dev_missing")
	_, err = s.GetDevice(ctx, "dev_missing")
	wantErr(t, err, app.ErrNotFound, "dev_missing")

	if err := s.DeleteDevice(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	wantErr(t, s.DeleteDevice(ctx, d.ID), app.ErrNotFound, d.ID)
	// Its URI is free again.
	reuse := aDevice()
	if err := s.CreateDevice(ctx, &reuse); err != nil {
		t.Fatalf("re-register freed uri: %v", err)
	}
}

func testRecordings(t *testing.T, s *Store) {
	ctx := context.Background()
	c := createCall(t, s)
	other := createCall(t, s)
	r1 := app.Recording{CallID: c.ID, Kind: "mixed", Path: "recordings/" + c.ID + "-mixed.wav", Duration: 93.5, FileSize: 1_496_044, CreatedAt: base.Add(time.Minute)}
	r2 := app.Recording{ID: "rec_company", CallID: c.ID, Kind: "company", Path: "recordings/company.wav", Duration: 93.4, FileSize: 1_494_444, CreatedAt: base}
	r3 := app.Recording{CallID: other.ID, Kind: "mixed", Path: "recordings/other.wav"}
	for _, r := range []*app.Recording{&r1, &r2, &r3} {
		if err := s.AddRecording(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if !strings.HasPrefix(r1.ID, "rec_") || r2.ID != "rec_company" || r3.CreatedAt.IsZero() {
		t.Fatalf("ids/defaults: %q %q %v", r1.ID, r2.ID, r3.CreatedAt)
	}
	got, err := s.GetRecording(ctx, r1.ID)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "recording read back", got, r1)
	list, err := s.ListRecordings(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "recordings of call, oldest first", list, []app.Recording{r2, r1})
	all, err := s.ListRecordings(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 {
		t.Fatalf("all recordings = %d, want 3", len(all))
	}
	_, err = s.GetRecording(ctx, "rec_missing")
	wantErr(t, err, app.ErrNotFound, "recording not found: rec_missing")
	dup := r2
	wantErr(t, s.AddRecording(ctx, &dup), app.ErrConflict, "rec_company")
	orphan := app.Recording{CallID: "call_ghost", Path: "x.wav"}
	wantErr(t, s.AddRecording(ctx, &orphan), app.ErrNotFound, "call_ghost")
}
