// Package testenv lets tests that need the machine's own tools say so in one
// place, and skip with the command that installs them.
package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// Debian's paths for the hold music and the recorded prompts the corpus
// generator reads (scripts/corpus).
const (
	MOHDir    = "/usr/share/asterisk/moh"
	SoundsDir = "/usr/share/asterisk/sounds/en"
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
	for _, dir := range []string{MOHDir, SoundsDir} {
		if _, err := os.Stat(dir); err != nil {
			t.Skipf("%s is missing (apt-get install asterisk-moh-opsound-wav asterisk-core-sounds-en-wav asterisk-core-sounds-en)", dir)
		}
	}
}
