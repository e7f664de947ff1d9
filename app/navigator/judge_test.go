package navigator

import (
	"testing"
	"time"
)

func TestJudge(t *testing.T) {
	j := NewJudge(JudgeConfig{})
	t0 := time.Unix(1_700_000_000, 0)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	earlier := []Heard{
		{Text: "Thank you for calling Acme Bank. Para español, oprima nueve.", Start: at(0)},
		{Text: "We are experiencing unusually long delays. Stay with us and someone will pick up soon.", Start: at(60)},
	}
	onset := at(300)
	cases := []struct {
		name string
		now  []Heard
		want VerdictKind
		why  string
	}{
		{"nothing heard yet", nil, Undecided, "no transcript yet"},
		{"same announcement again", []Heard{{Text: "We are experiencing unusually long delays, stay with us and someone will pick up soon.", Start: at(301)}}, NotHuman, "repeated_announcement"},
		{"hold phrase", []Heard{{Text: "Your call is important to us. Please continue to hold.", Start: at(301)}}, NotHuman, "hold_phrase"},
		{"busy", []Heard{{Text: "All of our representatives are busy assisting other customers.", Start: at(301)}}, NotHuman, "hold_phrase"},
		{"order received", []Heard{{Text: "Calls are answered in the order received.", Start: at(301)}}, NotHuman, "hold_phrase"},
		{"menu after hold", []Heard{{Text: "To leave a callback number, press 1.", Start: at(301)}}, NotHuman, "menu_prompt"},
		{"this is sarah", []Heard{{Text: "Hi, this is Sarah.", Start: at(301)}}, Human, "greeting"},
		{"thank you for calling this is", []Heard{{Text: "Thank you for calling Acme Bank, this is Mike, how can I help you?", Start: at(301)}}, Human, "greeting"},
		{"how can i help", []Heard{{Text: "Hello, how can I help you today?", Start: at(301)}}, Human, "greeting"},
		{"may i have your name", []Heard{{Text: "Sure, may I have your name please?", Start: at(302)}}, Human, "greeting"},
		{"my name is", []Heard{{Text: "Good afternoon, my name is Priya.", Start: at(301)}}, Human, "greeting"},
		{"this is a recording", []Heard{{Text: "This is an automated message from Acme.", Start: at(301)}}, Undecided, "speech without cues"},
		{"greeting plus hold phrase vetoes", []Heard{{Text: "Hi, this is Acme. Your call is important to us.", Start: at(301)}}, NotHuman, "hold_phrase"},
		{"old text before onset is ignored", []Heard{{Text: "Hi, this is Sarah.", Start: at(200)}}, Undecided, "no transcript yet"},
	}
	for _, c := range cases {
		v := j.Judge(Candidate{Onset: onset, Confidence: 0.7}, append(append([]Heard(nil), earlier...), c.now...))
		if v.Kind != c.want || v.Reason != c.why {
			t.Errorf("%s: %+v, want %s (%s)", c.name, v, c.want, c.why)
		}
	}
}

func TestJudgeLiveReply(t *testing.T) {
	j := NewJudge(JudgeConfig{})
	earlier := []Heard{{Text: "Thank you for holding. Your call will be answered shortly."}}
	cases := []struct {
		reply string
		want  VerdictKind
	}{
		{"Yes, I am.", Human},
		{"Yeah, this is Tom, what can I do for you?", Human},
		{"Speaking.", Human},
		{"Yep, how can I help?", Human},
		{"I'm a real person, how can I help you?", Human},
		{"Sorry, who is this?", Human},
		{"", NotHuman},
		{"Thank you for holding. Your call will be answered shortly.", NotHuman},
		{"Please continue to hold.", NotHuman},
		{"For billing, press 1.", NotHuman},
		{"This is a recording.", NotHuman},
		{"Mmm.", Undecided},
	}
	for _, c := range cases {
		if v := j.JudgeLiveReply(c.reply, earlier); v.Kind != c.want {
			t.Errorf("JudgeLiveReply(%q) = %+v, want %s", c.reply, v, c.want)
		}
	}
}
