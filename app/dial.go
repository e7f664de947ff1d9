package app

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// DefaultDialTemplate turns a company number into an Asterisk endpoint through the SIP trunk.
const DefaultDialTemplate = "PJSIP/{number}@trunk"

// companyEndpoint expands the dial template for number ("{number}" is replaced).
func companyEndpoint(template, number string) string {
	if template == "" {
		template = DefaultDialTemplate
	}
	return strings.ReplaceAll(template, "{number}", number)
}

var dialableUserRe = regexp.MustCompile(`^\+?[0-9]+$`)

// deviceEndpoint is the Asterisk dial string for a device: its explicit Endpoint, else
// PJSIP/<user> when the sip_uri's user is a local PJSIP endpoint, else the sip_uri's user
// dialled through the trunk template.
func deviceEndpoint(d Device, template string, local []string) (string, error) {
	if d.Endpoint != "" {
		return d.Endpoint, nil
	}
	user := sipUser(d.SIPURI)
	if user == "" {
		return "", fmt.Errorf("device %s has neither an endpoint nor a sip_uri with a user: %w", d.Name, ErrInvalid)
	}
	if slices.Contains(local, user) {
		return "PJSIP/" + user, nil
	}
	if !dialableUserRe.MatchString(user) && !strings.Contains(template, "{number}") {
		return "", fmt.Errorf("device %s: %q cannot be dialled through template %q: %w", d.Name, user, template, ErrInvalid)
	}
	return companyEndpoint(template, user), nil
}

// sipUser extracts the user part of sip:user@host (or sips:, or a bare user@host).
func sipUser(uri string) string {
	s := strings.TrimSpace(uri)
	if u, err := url.Parse(s); err == nil && (u.Scheme == "sip" || u.Scheme == "sips") && u.Opaque != "" {
		s = u.Opaque
	} else {
		s = strings.TrimPrefix(strings.TrimPrefix(s, "sips:"), "sip:")
	}
	if i := strings.IndexAny(s, ";?"); i >= 0 {
		s = s[:i]
	}
	user, _, _ := strings.Cut(s, "@")
	return user
}
