// Package asteriskconfig holds no code: its tests parse the Asterisk configuration shipped in
// this directory and check the settings the Hold Slayer service relies on, so a careless edit
// fails CI instead of a live deployment.
package asteriskconfig

import (
	"bufio"
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// section is one [name] block of an Asterisk .conf file; names may repeat (PJSIP objects of
// different types share a name), so a file is a list of sections in order.
type section struct {
	name string
	keys [][2]string // key, value in order; "exten"/"same" lines included
}

func (s section) get(key string) (string, bool) {
	for _, kv := range s.keys {
		if kv[0] == key {
			return kv[1], true
		}
	}
	return "", false
}

func (s section) all(key string) []string {
	var out []string
	for _, kv := range s.keys {
		if kv[0] == key {
			out = append(out, kv[1])
		}
	}
	return out
}

// parseConf reads Asterisk's INI dialect: ';' comments, [section] headers with optional
// template marks, and "key = value" or "key => value" lines.
func parseConf(t *testing.T, path string) []section {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer f.Close()
	var out []section
	sc := bufio.NewScanner(f)
	lineNo := 0
	for sc.Scan() {
		lineNo++
		line := sc.Text()
		if i := strings.Index(line, ";"); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "[") {
			end := strings.Index(line, "]")
			if end < 0 {
				t.Fatalf("%s:%d: unterminated section header %q", path, lineNo, line)
			}
			out = append(out, section{name: line[1:end]})
			continue
		}
		if len(out) == 0 {
			t.Fatalf("%s:%d: setting outside any section: %q", path, lineNo, line)
		}
		sep := "="
		if strings.Contains(line, "=>") {
			sep = "=>"
		}
		k, v, ok := strings.Cut(line, sep)
		if !ok {
			t.Fatalf("%s:%d: not a setting: %q", path, lineNo, line)
		}
		cur := &out[len(out)-1]
		cur.keys = append(cur.keys, [2]string{strings.TrimSpace(k), strings.TrimSpace(v)})
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return out
}

func find(secs []section, name, typ string) (section, bool) {
	for _, s := range secs {
		if s.name != name {
			continue
		}
		if typ == "" {
			return s, true
		}
		if v, _ := s.get("type"); v == typ {
			return s, true
		}
	}
	return section{}, false
}

func mustFind(t *testing.T, secs []section, file, name, typ string) section {
	t.Helper()
	s, ok := find(secs, name, typ)
	if !ok {
		t.Fatalf("%s: no [%s] section of type %q", file, name, typ)
	}
	return s
}

func TestHTTPIsLoopbackOnly(t *testing.T) {
	g := mustFind(t, parseConf(t, "http.conf"), "http.conf", "general", "")
	if v, _ := g.get("enabled"); v != "yes" {
		t.Errorf("http.conf enabled = %q, want yes (ARI needs the HTTP server)", v)
	}
	if v, _ := g.get("bindaddr"); v != "127.0.0.1" {
		t.Errorf("http.conf bindaddr = %q, want 127.0.0.1: ARI must not be reachable from the network", v)
	}
	if v, _ := g.get("bindport"); v != "8088" {
		t.Errorf("http.conf bindport = %q, want 8088 (docker-compose and README use it)", v)
	}
}

func TestARIUserMatchesServiceDefaults(t *testing.T) {
	secs := parseConf(t, "ari.conf")
	g := mustFind(t, secs, "ari.conf", "general", "")
	if v, _ := g.get("enabled"); v != "yes" {
		t.Errorf("ari.conf enabled = %q, want yes", v)
	}
	u := mustFind(t, secs, "ari.conf", "holdslayer", "user")
	if v, _ := u.get("read_only"); v != "no" {
		t.Errorf("ari user read_only = %q, want no: the service originates and hangs up", v)
	}
	if v, _ := u.get("password"); v == "" {
		t.Error("ari user has no password")
	}
}

func TestModulesLoadWhatTheServiceUses(t *testing.T) {
	m := mustFind(t, parseConf(t, "modules.conf"), "modules.conf", "modules", "")
	if v, _ := m.get("autoload"); v != "no" {
		t.Errorf("modules.conf autoload = %q, want no", v)
	}
	loaded := map[string]bool{}
	for _, v := range m.all("load") {
		loaded[v] = true
	}
	for _, need := range []string{
		"res_ari.so", "res_ari_channels.so", "res_ari_bridges.so", "res_ari_events.so",
		"res_ari_endpoints.so", "res_ari_recordings.so", "res_ari_applications.so", "res_ari_asterisk.so",
		"res_stasis.so", "res_stasis_snoop.so", "res_stasis_recording.so", "app_stasis.so",
		"res_http_websocket.so", "chan_pjsip.so", "res_pjsip_outbound_registration.so",
		"chan_rtp.so", "res_rtp_asterisk.so", "bridge_softmix.so", "bridge_holding.so",
		"res_musiconhold.so", "codec_ulaw.so", "codec_resample.so", "format_wav.so", "pbx_config.so",
	} {
		if !loaded[need] {
			t.Errorf("modules.conf does not load %s", need)
		}
	}
}

func TestPJSIPTrunkPhoneAndNoGuests(t *testing.T) {
	secs := parseConf(t, "pjsip.conf")
	for _, s := range secs {
		if s.name == "anonymous" {
			t.Error("pjsip.conf defines an anonymous endpoint: unauthenticated callers could reach the dialplan")
		}
	}
	tr := mustFind(t, secs, "pjsip.conf", "transport-udp", "transport")
	if v, _ := tr.get("protocol"); v != "udp" {
		t.Errorf("transport protocol = %q", v)
	}
	mustFind(t, secs, "pjsip.conf", "trunk-registration", "registration")
	mustFind(t, secs, "pjsip.conf", "trunk-auth", "auth")
	mustFind(t, secs, "pjsip.conf", "trunk-identify", "identify")
	mustFind(t, secs, "pjsip.conf", "trunk", "aor")
	trunk := mustFind(t, secs, "pjsip.conf", "trunk", "endpoint")
	if v, _ := trunk.get("context"); v != "from-trunk" {
		t.Errorf("trunk context = %q, want from-trunk (inbound calls must not reach from-internal)", v)
	}
	if v, _ := trunk.get("outbound_auth"); v != "trunk-auth" {
		t.Errorf("trunk outbound_auth = %q", v)
	}
	phone := mustFind(t, secs, "pjsip.conf", "robert", "endpoint")
	if v, _ := phone.get("auth"); v == "" {
		t.Error("user phone endpoint has no auth: anyone could register as it")
	}
	if v, _ := phone.get("context"); v != "from-internal" {
		t.Errorf("user phone context = %q, want from-internal", v)
	}
}

func TestDialplanEntryAndInboundIsolation(t *testing.T) {
	secs := parseConf(t, "extensions.conf")
	globals := mustFind(t, secs, "extensions.conf", "globals", "")
	if v, _ := globals.get("HOLDSLAYER_APP"); v != "holdslayer" {
		t.Errorf("HOLDSLAYER_APP = %q, want holdslayer (HOLDSLAYER_ARI_APP default)", v)
	}
	internal := mustFind(t, secs, "extensions.conf", "from-internal", "")
	var sawStasis bool
	for _, kv := range internal.keys {
		if strings.Contains(kv[1], "Stasis(${HOLDSLAYER_APP},dial,") {
			sawStasis = true
		}
	}
	if !sawStasis {
		t.Error("from-internal has no Stasis(holdslayer,dial,...) entry for *88")
	}
	inbound := mustFind(t, secs, "extensions.conf", "from-trunk", "")
	for _, kv := range inbound.keys {
		if strings.Contains(kv[1], "@trunk") || strings.Contains(kv[1], "Stasis(") {
			t.Errorf("from-trunk can dial out or start calls: %q", kv[1])
		}
	}
	ivr := mustFind(t, secs, "extensions.conf", "company-ivr", "")
	var sawKey3, sawMOH bool
	for _, kv := range ivr.keys {
		sawKey3 = sawKey3 || strings.Contains(kv[1], `"3"`)
		sawMOH = sawMOH || strings.Contains(kv[1], "MusicOnHold(")
	}
	if !sawKey3 || !sawMOH {
		t.Error("company-ivr must wait for key 3 and play music on hold (real-Asterisk tests rely on it)")
	}
	mustFind(t, secs, "extensions.conf", "user-phone", "")
}

func TestRTPRange(t *testing.T) {
	g := mustFind(t, parseConf(t, "rtp.conf"), "rtp.conf", "general", "")
	start, _ := g.get("rtpstart")
	end, _ := g.get("rtpend")
	if start == "" || end == "" || start >= end && len(start) == len(end) {
		t.Errorf("rtp range %q-%q is not a range", start, end)
	}
}

func TestDockerComposeMountsThisConfig(t *testing.T) {
	raw, err := os.ReadFile("../docker-compose.yml")
	if err != nil {
		t.Fatalf("read docker-compose.yml: %v", err)
	}
	var doc struct {
		Services map[string]struct {
			Image       string            `yaml:"image"`
			Build       any               `yaml:"build"`
			NetworkMode string            `yaml:"network_mode"`
			Volumes     []string          `yaml:"volumes"`
			Environment map[string]string `yaml:"environment"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("parse docker-compose.yml: %v", err)
	}
	ast, ok := doc.Services["asterisk"]
	if !ok {
		t.Fatal("docker-compose.yml has no asterisk service")
	}
	if !strings.HasPrefix(ast.Image, "andrius/asterisk:22") {
		t.Errorf("asterisk image = %q, want an Asterisk 22 image", ast.Image)
	}
	if ast.NetworkMode != "host" {
		t.Errorf("asterisk network_mode = %q, want host (RTP port range)", ast.NetworkMode)
	}
	var mounted bool
	for _, v := range ast.Volumes {
		mounted = mounted || strings.HasPrefix(v, "./asterisk-config:/etc/asterisk")
	}
	if !mounted {
		t.Errorf("asterisk volumes %v do not mount ./asterisk-config at /etc/asterisk", ast.Volumes)
	}
	svc, ok := doc.Services["holdslayer"]
	if !ok {
		t.Fatal("docker-compose.yml has no holdslayer service")
	}
	if svc.Build == nil {
		t.Error("holdslayer service is not built from the Dockerfile")
	}
	if got := svc.Environment["HOLDSLAYER_ARI_URL"]; got != "http://127.0.0.1:8088/ari" {
		t.Errorf("HOLDSLAYER_ARI_URL = %q, want http://127.0.0.1:8088/ari (http.conf)", got)
	}
	if svc.Environment["HOLDSLAYER_ARI_APP"] != "holdslayer" {
		t.Errorf("HOLDSLAYER_ARI_APP = %q, want holdslayer", svc.Environment["HOLDSLAYER_ARI_APP"])
	}
}
