package aritest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/holdslayer/holdslayer/app/audio"
	"github.com/holdslayer/holdslayer/app/speech"
)

// TestTranscriptionEndpoint runs the real STT client against the simulator's closed-vocabulary
// endpoint: rendered prompts come back as their text (whole or by sentence, after the same
// ulaw round trip the call path applies), music and unknown speech as "".
func TestTranscriptionEndpoint(t *testing.T) {
	sc := &Scenario{Name: "Vocab Co", Steps: []Step{
		{ID: "menu", Menu: &Menu{Prompt: say("For billing, press 1. For technical support, press 2. To speak with a representative, press 0."),
			Options: map[string]string{"1": "hold"}}},
		{ID: "hold", Hold: &Hold{Duration: Duration(time.Second), Announce: say("Your call is important to us. Please stay on the line.")}},
		{ID: "agent", Agent: &Agent{Greeting: "Hi, this is Sarah, how can I help you today?", Replies: []string{"Sure, I can help with that."}}},
	}}
	srv, err := New(Options{Scenarios: map[string]*Scenario{"+18005550100": sc}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	stt, err := speech.NewOpenAISTT(speech.STTConfig{BaseURL: srv.STTBaseURL(), APIKey: "none", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	phone := func(s []int16) []int16 { // what a call does to audio: ulaw, some silence around
		pad := make([]int16, 2400)
		x := append(append(append([]int16{}, pad...), s...), pad...)
		return audio.ULawDecode(audio.ULawEncode(x))
	}
	menu := sc.Steps[0].Menu.Prompt[0].samples
	greet := sc.Steps[2].Agent.greeting
	cases := []struct {
		name string
		pcm  []int16
		want string
	}{
		{"whole menu", phone(menu), "For billing, press 1. For technical support, press 2. To speak with a representative, press 0."},
		{"last sentence", phone(menu[len(menu)*62/100:]), "To speak with a representative, press 0."},
		{"agent greeting", phone(greet), "Hi, this is Sarah, how can I help you today?"},
		{"music", phone(srv.sounds.moh("")[:8000*4]), ""},
	}
	for _, c := range cases {
		tr, err := stt.Transcribe(context.Background(), c.pcm, 8000)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if tr.Text != c.want {
			t.Errorf("%s: got %q, want %q", c.name, tr.Text, c.want)
		}
	}
	other, err := srv.sounds.say("The weather tomorrow will be sunny with light winds.", "en-us")
	if err != nil {
		t.Fatal(err)
	}
	if tr, _ := stt.Transcribe(context.Background(), phone(other), 8000); tr.Text != "" {
		t.Errorf("unknown speech: got %q, want \"\"", tr.Text)
	}
}

// TestRecogniserRejectsHoldMusic: windows of a company's hold music that a VAD let through
// (0.6 to 4 s, anywhere in the loop, after a ulaw round trip) are never answered with a
// phrase, however well some stretch of some phrase happens to correlate with them; the
// phrases themselves, whole and by sentence, still are.
func TestRecogniserRejectsHoldMusic(t *testing.T) {
	sc := &Scenario{Name: "Acme", Steps: []Step{
		{ID: "greet", Play: say("Thank you for calling Acme Bank.")},
		{ID: "menu", Menu: &Menu{Prompt: say("For balances, press 1. For lost cards, press 2. To speak with a representative, press 0."),
			Options: map[string]string{"0": "hold"}}},
		{ID: "hold", Hold: &Hold{Duration: Duration(time.Second), Music: "macroform-cold_day",
			Announce: say("Your call is important to us. Please stay on the line.")}},
		{ID: "agent", Agent: &Agent{Greeting: "Hi, this is Sarah in customer support, how can I help you today?",
			Replies: []string{"Yes, I am a real person. How can I help?", "Sure, I will wait."}}},
	}}
	srv, err := New(Options{Scenarios: map[string]*Scenario{"+18005550100": sc}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	phone := func(s []int16) []int16 { return audio.ULawDecode(audio.ULawEncode(s)) }
	moh := srv.sounds.moh("macroform-cold_day")
	rng := rand.New(rand.NewPCG(7, 11))
	for i := 0; i < 80; i++ {
		n := 8000 * (6 + rng.IntN(35)) / 10
		off := rng.IntN(len(moh) - n)
		if text, corr := srv.vocab.Recognise(phone(moh[off:off+n]), 8000); text != "" {
			t.Errorf("music %.1f s at %.1f s answered %q (corr %.2f)", float64(n)/8000, float64(off)/8000, text, corr)
		}
	}
	menu := sc.Steps[1].Menu.Prompt[0].samples
	reply := sc.Steps[3].Agent.replies[0]
	for _, c := range []struct {
		pcm  []int16
		want string
	}{
		{menu, "For balances, press 1. For lost cards, press 2. To speak with a representative, press 0."},
		{menu[:len(menu)/2], "For balances, press 1. For lost cards, press 2."},
		{reply[len(reply)/2:], "How can I help?"},
		{sc.Steps[2].Hold.Announce[0].samples, "Your call is important to us. Please stay on the line."},
		{append(append([]int16{}, moh[8000:12000]...), sc.Steps[2].Hold.Announce[0].samples...), "Your call is important to us. Please stay on the line."},
	} {
		if text, corr := srv.vocab.Recognise(phone(c.pcm), 8000); text != c.want {
			t.Errorf("got %q (corr %.2f), want %q", text, corr, c.want)
		}
	}
}

// TestMenuRecognisesWords: a spoken menu tells its words apart as the service's espeak-ng
// voice says them, and treats any other word as a wrong answer.
func TestMenuRecognisesWords(t *testing.T) {
	both := &Scenario{Name: "Globex", Steps: []Step{{ID: "menu", Menu: &Menu{Prompt: say("Say billing or say representative."),
		Speech: map[string]string{"billing": "q", "representative": "q"}}}, {ID: "q", Pause: Duration(time.Second)}}}
	one := &Scenario{Name: "Speak-Up", Steps: []Step{{ID: "menu", Menu: &Menu{Prompt: say("Please say representative."),
		Speech: map[string]string{"representative": "q"}}}, {ID: "q", Pause: Duration(time.Second)}}}
	srv, err := New(Options{Scenarios: map[string]*Scenario{"+1": both, "+2": one}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	spoken := func(w string) []int16 {
		smp, err := srv.sounds.say(w, callerVoice)
		if err != nil {
			t.Fatal(err)
		}
		pad := make([]int16, 1600)
		return audio.ULawDecode(audio.ULawEncode(append(append(append([]int16{}, pad...), smp...), pad...)))
	}
	for _, c := range []struct {
		m          *Menu
		said, want string
	}{
		{both.Steps[0].Menu, "billing", "billing"},
		{both.Steps[0].Menu, "representative", "representative"},
		{both.Steps[0].Menu, "technical support", ""},
		{one.Steps[0].Menu, "representative", "representative"},
		{one.Steps[0].Menu, "billing", ""},
		{one.Steps[0].Menu, "agent", ""},
	} {
		if got := c.m.recogniseWord(spoken(c.said)); got != c.want {
			t.Errorf("menu %v heard %q: got %q, want %q", c.m.Speech, c.said, got, c.want)
		}
	}
}

// ragged is what a starved process and a lossy network do to audio, 20 ms frame by frame:
// each frame is dropped with probability drop or played twice with probability dup, and
// followed by up to maxGap frames of inserted silence (a jitter buffer running dry) with
// probability gap; then cutMs are cut from the start and endMs from the end, and the result
// goes through ulaw.
type ragged struct {
	drop, dup, gap float64
	maxGap         int
	cutMs, endMs   int
}

func (r ragged) apply(rng *rand.Rand, s []int16) []int16 {
	var out []int16
	for i := 0; i+frameSamples <= len(s); i += frameSamples {
		f := s[i : i+frameSamples]
		switch p := rng.Float64(); {
		case p < r.drop:
			continue
		case p < r.drop+r.dup:
			out = append(out, f...)
		}
		out = append(out, f...)
		if r.gap > 0 && rng.Float64() < r.gap {
			out = append(out, make([]int16, frameSamples*(1+rng.IntN(max(1, r.maxGap))))...)
		}
	}
	lo, hi := r.cutMs*8, len(out)-r.endMs*8
	if lo >= hi {
		return nil
	}
	return audio.ULawDecode(audio.ULawEncode(out[lo:hi]))
}

var raggedCases = []ragged{
	{drop: 0.05},
	{dup: 0.05},
	{drop: 0.1, dup: 0.1},
	{drop: 0.07, dup: 0.07, cutMs: 100},
	{drop: 0.07, dup: 0.07, endMs: 100},
	{gap: 0.05, maxGap: 15},
	{drop: 0.05, dup: 0.05, gap: 0.05, maxGap: 10, cutMs: 100},
}

// TestRecogniserRaggedAudio: prompts whose frames were dropped, doubled or split by silence,
// and cut at either end, still come back as their text (whole, or the sentence they are);
// music and speech the simulator never rendered, as ragged, still come back as "".
func TestRecogniserRaggedAudio(t *testing.T) {
	sc := &Scenario{Name: "Acme", Steps: []Step{
		{ID: "menu", Menu: &Menu{Prompt: say("For balances, press 1. For lost cards, press 2. To speak with a representative, press 0."),
			Options: map[string]string{"0": "hold"}}},
		{ID: "open", Play: say("Our menu has changed. Members should know the secret code.")},
		{ID: "hold", Hold: &Hold{Duration: Duration(time.Second), Music: "macroform-cold_day",
			Announce: say("Your call is important to us. Please stay on the line.")}},
		{ID: "agent", Agent: &Agent{Greeting: "Hi, this is Sarah in customer support, how can I help you today?",
			Replies: []string{"Yes, I am a real person. How can I help?"}}},
	}}
	srv, err := New(Options{Scenarios: map[string]*Scenario{"+18005550100": sc}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	menu := sc.Steps[0].Menu.Prompt[0].samples
	open := sc.Steps[1].Play[0].samples
	clips := []struct {
		pcm  []int16
		want string
	}{
		{menu, "For balances, press 1. For lost cards, press 2. To speak with a representative, press 0."},
		{menu[:len(menu)/2], "For balances, press 1. For lost cards, press 2."},
		{open, "Our menu has changed. Members should know the secret code."},
		{open[:len(open)*45/100], "Our menu has changed."},
		{sc.Steps[2].Hold.Announce[0].samples, "Your call is important to us. Please stay on the line."},
		{sc.Steps[3].Agent.greeting, "Hi, this is Sarah in customer support, how can I help you today?"},
	}
	var unknown [][]int16
	for _, u := range []string{"The weather tomorrow will be sunny with light winds.", "Press 9 to repeat this menu.",
		"Your account balance is forty two dollars."} {
		smp, err := srv.sounds.say(u, "en-us")
		if err != nil {
			t.Fatal(err)
		}
		unknown = append(unknown, smp)
	}
	moh := srv.sounds.moh("macroform-cold_day")
	rng := rand.New(rand.NewPCG(3, 5))
	for _, r := range raggedCases {
		name := fmt.Sprintf("%+v", r)
		for _, c := range clips {
			if text, cost := srv.vocab.Recognise(r.apply(rng, c.pcm), 8000); text != c.want {
				t.Errorf("%s: got %q (cost %.2f), want %q", name, text, cost, c.want)
			}
		}
		for _, u := range unknown {
			if text, cost := srv.vocab.Recognise(r.apply(rng, u), 8000); text != "" {
				t.Errorf("%s: unknown speech answered %q (cost %.2f)", name, text, cost)
			}
		}
		for i := 0; i < 10; i++ {
			n := 8000 * (6 + rng.IntN(35)) / 10
			off := rng.IntN(len(moh) - n)
			if text, cost := srv.vocab.Recognise(r.apply(rng, moh[off:off+n]), 8000); text != "" {
				t.Errorf("%s: music at %.1f s answered %q (cost %.2f)", name, float64(off)/8000, text, cost)
			}
		}
	}
}

// TestMenuWordsRaggedAudio: a spoken menu still knows its words when the caller's audio is
// ragged, and still refuses other words said as raggedly.
func TestMenuWordsRaggedAudio(t *testing.T) {
	sc := &Scenario{Name: "Globex", Steps: []Step{{ID: "menu", Menu: &Menu{Prompt: say("Say billing or say representative."),
		Speech: map[string]string{"billing": "q", "representative": "q"}}}, {ID: "q", Pause: Duration(time.Second)}}}
	srv, err := New(Options{Scenarios: map[string]*Scenario{"+1": sc}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	m := sc.Steps[0].Menu
	rng := rand.New(rand.NewPCG(9, 1))
	// Long inserted silences are left out here: the menu's capture skips ticks when nothing
	// arrived (see voice.captureWord), so a stalled caller's word reaches it without them.
	// A word is short ("billing" is 22 frames), so a few faults weigh more than in a prompt:
	// 10 % dropped and doubled frames together cost "billing" too much to be told apart from
	// other words (a known limit), 5 % of either, a 100 ms cut, or short gaps do not.
	cases := []ragged{{drop: 0.05}, {dup: 0.05}, {cutMs: 100}, {endMs: 100}, {gap: 0.05, maxGap: 3}}
	for _, r := range cases {
		for _, c := range []struct{ said, want string }{
			{"billing", "billing"}, {"representative", "representative"},
			{"technical support", ""}, {"agent", ""}, {"operator", ""}, {"representation", ""}, {"present", ""},
		} {
			smp, err := srv.sounds.say(c.said, callerVoice)
			if err != nil {
				t.Fatal(err)
			}
			// 50 ms of quiet either side: a 100 ms cut takes 50 ms of the word.
			pad := make([]int16, 400)
			clip := append(append(append([]int16{}, pad...), smp...), pad...)
			if got, cost, _ := m.matchWord(r.apply(rng, clip)); got != c.want {
				t.Errorf("%+v: heard %q as %q (cost %.2f), want %q", r, c.said, got, cost, c.want)
			}
		}
	}
}
