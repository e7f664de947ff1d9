package navigator

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseMenu(t *testing.T) {
	cases := []struct {
		in   string
		want []MenuOption
	}{
		{"Press 1 for billing. Press 2 for technical support.", []MenuOption{{Key: "1", Label: "billing"}, {Key: "2", Label: "technical support"}}},
		{"For billing, press 2. For sales, press 3.", []MenuOption{{Key: "2", Label: "billing"}, {Key: "3", Label: "sales"}}},
		{"For billing press two, for sales press three, or to speak to a representative press zero.",
			[]MenuOption{{Key: "2", Label: "billing"}, {Key: "3", Label: "sales"}, {Key: "0", Label: "speak to a representative"}}},
		{"To speak to a representative, press 0.", []MenuOption{{Key: "0", Label: "speak to a representative"}}},
		{"Please listen carefully as our menu options have changed. If you are calling about an existing order, press 1. If you'd like to place a new order press 2.",
			[]MenuOption{{Key: "1", Label: "you are calling about an existing order"}, {Key: "2", Label: "you'd like to place a new order"}}},
		{"Press 1 for billing, for account services press 2.", []MenuOption{{Key: "1", Label: "billing"}, {Key: "2", Label: "account services"}}},
		{"Billing, press 4.", []MenuOption{{Key: "4", Label: "billing"}}},
		{"Say billing or press 1. Say technical support or press 2.", []MenuOption{{Key: "1", Say: "billing", Label: "billing"}, {Key: "2", Say: "technical support", Label: "technical support"}}},
		{"For billing, say billing, or press 2.", []MenuOption{{Key: "2", Say: "billing", Label: "billing"}}},
		{"In a few words, tell me why you're calling. You can say things like pay my bill.", []MenuOption{{Say: "pay my bill", Label: "pay my bill"}}},
		{"To report a lost or stolen card, press star.", []MenuOption{{Key: "*", Label: "report a lost or stolen card"}}},
		{"To return to the main menu, press the pound key.", []MenuOption{{Key: "#", Label: "return to the main menu"}}},
		{"Dial 9 to speak with an operator.", []MenuOption{{Key: "9", Label: "speak with an operator"}}},
		{"If you know your party's extension, you may dial it at any time.", nil},
		{"Your call is important to us. Please continue to hold.", nil},
		{"For all other inquiries, press five.", []MenuOption{{Key: "5", Label: "all other inquiries"}}},
		{"Para español, oprima el nueve. For English, press 1.", []MenuOption{{Key: "1", Label: "english"}}},
		{"Press one if you are a new customer. Press two if you are an existing customer.", []MenuOption{{Key: "1", Label: "you are a new customer"}, {Key: "2", Label: "you are an existing customer"}}},
		{"Enter 3 for pharmacy refills.", []MenuOption{{Key: "3", Label: "pharmacy refills"}}},
		{"Welcome to Globex. In a few words, tell me why you are calling. For example, say billing, or say representative.",
			[]MenuOption{{Say: "billing", Label: "billing"}, {Say: "representative", Label: "representative"}}},
		{"For instance, say billing.", []MenuOption{{Say: "billing", Label: "billing"}}},
	}
	for _, c := range cases {
		got := ParseMenu(c.in)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseMenu(%q)\n got  %+v\n want %+v", c.in, got, c.want)
		}
	}
}

func TestMatcherChooses(t *testing.T) {
	m := NewMatcher(MatcherConfig{Synonyms: map[string][]string{"escrow": {"mortgage"}}})
	cases := []struct {
		intent, menu string
		key, say     string
		fallback     bool
		ok           bool
	}{
		{"dispute a charge on my credit card", "For billing, press 1. To dispute a charge, press 3. For all other questions, press 0.", "3", "", false, true},
		{"pay my bill", "Press 1 for technical support. Press 2 for billing and payments. Press 0 for an operator.", "2", "", false, true},
		{"my internet is down", "For billing press two, for technical support press three, or to speak to a representative press zero.", "3", "", false, true},
		{"ask about my mortgage", "For escrow questions, press 4. For auto loans, press 5. To speak to an agent, press 0.", "4", "", false, true},
		{"change my flight", "For baggage claims press 1. To speak to a representative press 0.", "0", "", true, true},
		{"something odd", "For sales, press 1. For all other inquiries, press 9.", "9", "", true, true},
		{"cancel my subscription", "Say billing or press 1. Say cancel service or press 2.", "2", "cancel service", false, true},
		{"get a refill", "In a few words, tell me why you're calling. Say pharmacy or say store hours.", "", "pharmacy", false, true},
		{"talk to a person", "To repeat these options, press 9. For sales, press 1.", "", "", false, false},
		{"lost my card", "To report a lost or stolen card, press star. For balances press 1.", "*", "", false, true},
	}
	for _, c := range cases {
		d := m.Decide(c.intent, c.menu)
		if d.OK != c.ok {
			t.Errorf("%q / %q: ok %v, want %v (%+v)", c.intent, c.menu, d.OK, c.ok, d)
			continue
		}
		if !c.ok {
			continue
		}
		if d.Choice.Option.Key != c.key || d.Choice.Option.Say != c.say || d.Choice.Fallback != c.fallback {
			t.Errorf("%q / %q: chose %+v, want key %q say %q fallback %v", c.intent, c.menu, d.Choice, c.key, c.say, c.fallback)
		}
		a := d.Choice.Action()
		if c.key != "" && (a.Kind != ActDTMF || a.Digits != c.key) {
			t.Errorf("action %+v", a)
		}
		if c.key == "" && (a.Kind != ActSpeak || a.Text != c.say) {
			t.Errorf("action %+v", a)
		}
	}
}

func TestMenuEventData(t *testing.T) {
	d := MenuEventData("press 1 for sales", []MenuOption{{Key: "1", Label: "sales"}})
	opts := d["options"].([]map[string]any)
	if d["transcript"] != "press 1 for sales" || len(opts) != 1 || opts[0]["key"] != "1" || opts[0]["label"] != "sales" {
		t.Fatalf("%v", d)
	}
}

// TestEscalateOnRepeatedMenu: a menu that comes back after it was answered gets the next best
// option, then the person fallbacks, then key 0, never a choice already tried.
func TestEscalateOnRepeatedMenu(t *testing.T) {
	m := NewMatcher(MatcherConfig{})
	globex := ParseMenu("For example, say billing, or say representative.")
	var mem MenuMemory
	c, ok := m.Choose("question about my bill", globex)
	if !ok || c.Option.Say != "billing" || c.Fallback {
		t.Fatalf("first choice %+v %v", c, ok)
	}
	mem.Chose(globex, c.Option)
	again := ParseMenu("Sorry, I didn't catch that. For example, say billing, or say representative.")
	tried := mem.Tried(again)
	if len(tried) != 1 || tried[0].Say != "billing" {
		t.Fatalf("tried %+v", tried)
	}
	c, ok = m.Escalate("question about my bill", again, tried)
	if !ok || c.Option.Say != "representative" || !c.Fallback || !strings.Contains(c.Reason, `"billing"`) {
		t.Fatalf("escalation %+v %v", c, ok)
	}
	mem.Chose(again, c.Option)
	if c, ok := m.Escalate("question about my bill", again, mem.Tried(again)); ok {
		t.Fatalf("nothing left to try, got %+v", c)
	}

	// Keys: next best match, then the operator, then 0 as the last resort.
	menu := ParseMenu("For billing, press 1. For payments, press 2. For an operator, press 9. For everything else, press 0.")
	var got []string
	var km MenuMemory
	for {
		var c Choice
		var ok bool
		if tried := km.Tried(menu); tried == nil {
			c, ok = m.Choose("pay my bill", menu)
		} else {
			c, ok = m.Escalate("pay my bill", menu, tried)
		}
		if !ok {
			break
		}
		got = append(got, c.Option.Key)
		km.Chose(menu, c.Option)
	}
	if want := []string{"1", "2", "9", "0"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("escalation order %v, want %v", got, want)
	}

	// A different menu (a submenu sharing nothing) starts afresh.
	if tried := km.Tried(ParseMenu("For a one-time payment, press 1. For autopay, press 2.")); tried != nil {
		t.Fatalf("a new menu was taken for the old one: %+v", tried)
	}
}
