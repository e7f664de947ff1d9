package aritest

import (
	"context"
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
