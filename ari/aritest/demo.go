package aritest

import "time"

func say(text string) []Audio { return []Audio{{Say: text}} }

func intp(n int) *int { return &n }

// DemoScenarios returns three sample companies with different menus and hold lengths, keyed by
// number (with and without "+"): Acme Bank (DTMF menu, 2 min hold), Globex Telecom (a spoken
// menu that understands "billing", a 30 s billing queue, and "representative" or 0, a 45 s
// general queue with announcements) and Initech Support (two-level menu, drops the
// caller after a 90 s hold on the first attempt's wrong branch, 30 s hold on the right one).
func DemoScenarios() map[string]*Scenario {
	sarah := &Agent{Greeting: "Hi, this is Sarah in customer support, how can I help you today?",
		Replies: []string{"Sure, I can help with that. Can I have your account number?", "Thank you. One moment please."}}
	acme := &Scenario{
		Name: "Acme Bank", AnswerAfter: Duration(4 * time.Second),
		Steps: []Step{
			{ID: "greet", Play: say("Thank you for calling Acme Bank. Calls may be recorded.")},
			{ID: "menu", Menu: &Menu{
				Prompt:  say("For balances, press 1. For lost cards, press 2. To speak with a representative, press 0."),
				Options: map[string]string{"1": "balances", "2": "cards", "0": "hold"},
				Timeout: Duration(5 * time.Second), Retries: intp(2), OnFail: "",
			}},
			{ID: "balances", Play: say("Balances are available in our mobile app. Goodbye."), Goto: "hangup"},
			{ID: "cards", Play: say("Please hold while we transfer you to the card team."), Goto: "hold"},
			{ID: "hold", Hold: &Hold{Duration: Duration(2 * time.Minute), Music: "macroform-cold_day",
				Announce: say("Your call is important to us. Please stay on the line."), AnnounceEvery: Duration(30 * time.Second)}},
			{ID: "agent", Agent: sarah},
		},
	}
	globex := &Scenario{
		Name: "Globex Telecom", AnswerAfter: Duration(2 * time.Second),
		Steps: []Step{
			{ID: "menu", Menu: &Menu{
				Prompt:  say("Welcome to Globex. In a few words, tell me why you are calling. For example, say billing, or say representative."),
				Speech:  map[string]string{"billing": "billing", "representative": "hold"},
				Options: map[string]string{"0": "hold"},
				Timeout: Duration(6 * time.Second), Retries: intp(1),
				NoInput: say("Sorry, I didn't catch that."),
				Invalid: say("Sorry, I didn't understand."),
			}},
			{ID: "billing", Hold: &Hold{Duration: Duration(30 * time.Second), Music: "manolo_camp-morning_coffee",
				Announce: say("Thank you for holding for Globex billing. Your call will be answered shortly."), AnnounceEvery: Duration(12 * time.Second)},
				Goto: "agent"},
			{ID: "hold", Hold: &Hold{Duration: Duration(45 * time.Second), Music: "manolo_camp-morning_coffee",
				Announce: []Audio{{Sound: "queue-periodic-announce"}}, AnnounceEvery: Duration(15 * time.Second)}},
			{ID: "agent", Agent: &Agent{Voice: "en-gb+m3", Greeting: "Hello, you're through to Mark at Globex. What can I do for you?",
				Replies: []string{"Okay, let me pull that up."}}},
		},
	}
	initech := &Scenario{
		Name: "Initech Support", AnswerAfter: Duration(6 * time.Second),
		Steps: []Step{
			{ID: "greet", Play: say("Initech support.")},
			{ID: "menu", Menu: &Menu{
				Prompt:  say("For hardware press 1. For software press 2."),
				Options: map[string]string{"1": "hardware", "2": "software"},
				Retries: intp(2),
			}},
			{ID: "hardware", Play: say("Hardware support is closed. Please hold for the next available agent."), Goto: "longhold"},
			{ID: "software", Menu: &Menu{
				Prompt:  say("For licensing press 1. For everything else press 9."),
				Options: map[string]string{"1": "shorthold", "9": "shorthold"},
			}},
			{ID: "longhold", Hold: &Hold{Duration: Duration(90 * time.Second), HangupAfter: true,
				Announce: say("All of our agents are busy."), AnnounceEvery: Duration(20 * time.Second)}},
			{ID: "shorthold", Hold: &Hold{Duration: Duration(30 * time.Second)}},
			{ID: "agent", Agent: &Agent{Voice: "en-us+f4", Greeting: "Hi, this is Sarah from Initech. How can I help?",
				Replies: []string{"Let me check on that for you."}}},
		},
	}
	return map[string]*Scenario{
		"+18005550001": acme, "18005550001": acme,
		"+18005550002": globex, "18005550002": globex,
		"+18005550003": initech, "18005550003": initech,
	}
}
