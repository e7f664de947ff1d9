package app

import (
	"errors"
	"testing"
)

func TestCompanyEndpoint(t *testing.T) {
	for _, tc := range []struct{ tmpl, want string }{
		{"", "PJSIP/+18005551234@trunk"},
		{"PJSIP/{number}@trunk", "PJSIP/+18005551234@trunk"},
		{"Local/{number}@company-ivr", "Local/+18005551234@company-ivr"},
	} {
		if got := companyEndpoint(tc.tmpl, "+18005551234"); got != tc.want {
			t.Errorf("companyEndpoint(%q) = %q, want %q", tc.tmpl, got, tc.want)
		}
	}
}

func TestDeviceEndpoint(t *testing.T) {
	local := []string{"robert", "kitchen"}
	cases := []struct {
		name string
		dev  Device
		want string
		err  error
	}{
		{"explicit endpoint wins", Device{Endpoint: "Local/s@user-phone", SIPURI: "sip:robert@gw"}, "Local/s@user-phone", nil},
		{"local pjsip user", Device{SIPURI: "sip:robert@gateway.helu.ca"}, "PJSIP/robert", nil},
		{"local user with params", Device{SIPURI: "sip:kitchen@gw;transport=tcp"}, "PJSIP/kitchen", nil},
		{"number through trunk", Device{SIPURI: "sip:+15145551234@provider.example"}, "PJSIP/+15145551234@trunk", nil},
		{"remote user through trunk", Device{SIPURI: "sips:alice@elsewhere.example"}, "PJSIP/alice@trunk", nil},
		{"nothing to dial", Device{Name: "broken"}, "", ErrInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := deviceEndpoint(tc.dev, DefaultDialTemplate, local)
			if got != tc.want || !errors.Is(err, tc.err) && !(err == nil && tc.err == nil) {
				t.Fatalf("deviceEndpoint = %q, %v; want %q, %v", got, err, tc.want, tc.err)
			}
		})
	}
}
