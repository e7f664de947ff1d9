package app

import (
	"errors"
	"testing"
)

func TestDialPolicy(t *testing.T) {
	cases := []struct {
		name   string
		policy DialPolicy
		number string
		want   error
	}{
		{"domestic toll free", DialPolicy{}, "+18005551234", nil},
		{"premium 900", DialPolicy{}, "+19005551234", ErrForbidden},
		{"premium 976", DialPolicy{}, "+19765551234", ErrForbidden},
		{"premium even when international is allowed", DialPolicy{AllowInternational: true}, "+19005551234", ErrForbidden},
		{"international refused by default", DialPolicy{}, "+33142685300", ErrForbidden},
		{"international allowed", DialPolicy{AllowInternational: true}, "+33142685300", nil},
		{"home country configurable", DialPolicy{HomeCountryCode: "+33"}, "+33142685300", nil},
		{"home country makes +1 international", DialPolicy{HomeCountryCode: "33"}, "+18005551234", ErrForbidden},
		{"custom premium list", DialPolicy{HomeCountryCode: "44", PremiumPrefixes: []string{"+449"}}, "+449098790000", ErrForbidden},
		{"allowed pattern matches", DialPolicy{Allowed: []string{`^\+1800`}}, "+18005551234", nil},
		{"allowed pattern misses", DialPolicy{Allowed: []string{`^\+1800`}}, "+12125551234", ErrForbidden},
		{"denied pattern", DialPolicy{Denied: []string{`^\+1212`}}, "+12125551234", ErrForbidden},
		{"broken pattern refuses all", DialPolicy{Allowed: []string{`(`}}, "+18005551234", ErrForbidden},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := newPolicy(tc.policy).check(tc.number)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("check(%s) = %v, want %v", tc.number, err, tc.want)
			}
		})
	}
	if err := (DialPolicy{Denied: []string{"["}}).Validate(); err == nil {
		t.Fatal("a broken pattern validated")
	}
}

func TestValidateNumberAndDTMF(t *testing.T) {
	for n, ok := range map[string]bool{
		"+18005551234": true, "+442071234567": true, "18005551234": false, "+0123456789": false,
		"+1800555": true, "+123456": false, "+1234567890123456": false, "+1 800 555 1234": false, "": false,
	} {
		if err := ValidateNumber(n); (err == nil) != ok || (err != nil && !errors.Is(err, ErrInvalid)) {
			t.Errorf("ValidateNumber(%q) = %v, want ok=%v", n, err, ok)
		}
	}
	for d, ok := range map[string]bool{"0123456789*#ABCD": true, "1": true, "": false, "12x": false, "a": false, "1 2": false, "E": false} {
		if err := ValidateDTMF(d); (err == nil) != ok {
			t.Errorf("ValidateDTMF(%q) = %v, want ok=%v", d, err, ok)
		}
	}
}
