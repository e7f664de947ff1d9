package aritest

import (
	"context"
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
