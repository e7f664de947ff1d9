package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/holdslayer/holdslayer/internal/testenv"
)

// The held-out clips of the generated corpus, scored as `make eval` scores
// them: macro-F1 must stay at least 0.99 (0.9974 since the sixteenth
// session; the target is 0.98). The thirteenth session's lost-frame
// change took it to 0.9856 and nobody saw it for three sessions, because
// only `make eval` printed it. The corpus is generated here (about 10 s and
// 300 MB, the same files as `make corpus`; `go run` builds the generator
// without the race detector); the Debian packages it reads are installed by
// .ci/run.
func TestHeldOutClipsMacroF1(t *testing.T) {
	if testing.Short() {
		t.Skip("generates the corpus")
	}
	testenv.NeedCorpusSources(t)
	dir := filepath.Join(t.TempDir(), "corpus")
	gen := exec.Command("go", "run", "github.com/holdslayer/holdslayer/scripts/corpus", "-out", dir)
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("generate the corpus: %v\n%s", err, out)
	}
	clips, err := readClips(dir)
	if err != nil {
		t.Fatal(err)
	}
	var report strings.Builder
	f1, err := scoreClips(&report, dir, clips, "heldout", true)
	if err != nil {
		t.Fatal(err)
	}
	if f1 < 0.99 {
		t.Errorf("held-out clips: macro-F1 %.4f, want at least 0.99\n%s", f1, report.String())
	}
	t.Logf("held-out clips: macro-F1 %.4f", f1)
}
