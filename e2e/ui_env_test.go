package e2e

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// uiToken is the API token of the dashboard and MCP tests: the service behind them requires it,
// as a service reachable by a browser or an assistant should.
const uiToken = "e2e-ui-token"

// newTokenEnv is newEnv with the service requiring token and the client sending it, as a
// deployment beyond loopback runs.
func newTokenEnv(t *testing.T, token string) *env {
	t.Helper()
	return newEnv(t, envOptions{token: token})
}

// bearer adds the API token to every request of an HTTP client.
type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

// artifacts is where a test's screenshots go: $HOLDSLAYER_ARTIFACTS_DIR/<name> when set (CI
// keeps it), else a temporary directory. Never inside the repository.
func artifacts(t *testing.T, name string) string {
	t.Helper()
	if d := os.Getenv("HOLDSLAYER_ARTIFACTS_DIR"); d != "" {
		dir := filepath.Join(d, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatalf("artifacts dir: %v", err)
		}
		return dir
	}
	return t.TempDir()
}

// chromium finds Debian's chromium, or skips the test saying how to get it.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("chromium not found: install Debian's chromium package (apt-get install chromium) to run the dashboard browser test")
	return ""
}
