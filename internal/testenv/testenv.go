// Package testenv lets tests that need the machine's own tools say so in one
// place, and skip with the command that installs them.
package testenv

import (
	"os"
	"os/exec"
	"testing"

	"github.com/holdslayer/holdslayer/internal/debsounds"
)

// NeedCorpusSources skips t unless the corpus generator can run here: its
// tools (espeak-ng, sox) and the Asterisk sound packages. .ci/run installs
// them, so in CI nothing is skipped.
func NeedCorpusSources(t testing.TB) {
	t.Helper()
	for _, tool := range []string{"espeak-ng", "sox"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (apt-get install espeak-ng sox libsox-fmt-all)", tool)
		}
	}
	for _, dir := range []string{debsounds.MOHDir, debsounds.CoreDir} {
		if _, err := os.Stat(dir); err != nil {
			t.Skipf("%s is missing (apt-get install asterisk-moh-opsound-wav asterisk-core-sounds-en-wav asterisk-core-sounds-en)", dir)
		}
	}
}
