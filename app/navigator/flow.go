package navigator

import (
	"errors"
	"fmt"

	"github.com/holdslayer/holdslayer/app"
)

// ValidateFlow checks the rules every stored, built or replayed flow must meet: at least one
// step, unique non-empty ids, known types, DTMF steps with keypad digits, SPEAK steps with
// text, next_step links that resolve, every step reachable from the first, no cycles, and a
// path that ends in a TRANSFER (the only terminal step). Errors wrap app.ErrInvalid.
func ValidateFlow(f app.CallFlow) error {
	if len(f.Steps) == 0 {
		return fmt.Errorf("flow %q has no steps: %w", f.ID, app.ErrInvalid)
	}
	byID := map[string]int{}
	var errs []error
	for i, s := range f.Steps {
		if s.ID == "" {
			errs = append(errs, fmt.Errorf("step %d has no id", i))
			continue
		}
		if _, dup := byID[s.ID]; dup {
			errs = append(errs, fmt.Errorf("step id %q is repeated", s.ID))
		}
		byID[s.ID] = i
		switch s.Type {
		case app.StepWait, app.StepListen, app.StepHold, app.StepTransfer:
		case app.StepDTMF:
			if !validDigits(s.DTMF) {
				errs = append(errs, fmt.Errorf("step %q: dtmf %q is not keypad digits", s.ID, s.DTMF))
			}
		case app.StepSpeak:
			if s.Text == "" {
				errs = append(errs, fmt.Errorf("step %q: SPEAK without text", s.ID))
			}
		default:
			errs = append(errs, fmt.Errorf("step %q: unknown type %q", s.ID, s.Type))
		}
		if s.Timeout != nil && (*s.Timeout < 0 || *s.Timeout > 3600) {
			errs = append(errs, fmt.Errorf("step %q: timeout %v out of range", s.ID, *s.Timeout))
		}
		if s.Type == app.StepTransfer && s.NextStep != "" {
			errs = append(errs, fmt.Errorf("step %q: TRANSFER is terminal but has next_step %q", s.ID, s.NextStep))
		}
		if s.Type != app.StepTransfer && s.NextStep == "" {
			errs = append(errs, fmt.Errorf("step %q: only TRANSFER may end a flow", s.ID))
		}
	}
	if len(errs) == 0 {
		seen := map[string]bool{}
		cur := f.Steps[0]
		for {
			if seen[cur.ID] {
				errs = append(errs, fmt.Errorf("step %q is reached twice: the flow loops", cur.ID))
				break
			}
			seen[cur.ID] = true
			if cur.NextStep == "" {
				break
			}
			i, ok := byID[cur.NextStep]
			if !ok {
				errs = append(errs, fmt.Errorf("step %q: next_step %q does not exist", cur.ID, cur.NextStep))
				break
			}
			cur = f.Steps[i]
		}
		if len(errs) == 0 && len(seen) != len(f.Steps) {
			errs = append(errs, fmt.Errorf("%d step(s) cannot be reached from the first step", len(f.Steps)-len(seen)))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("flow %q: %w: %w", f.ID, app.ErrInvalid, errors.Join(errs...))
	}
	return nil
}

func validDigits(d string) bool {
	if d == "" || len(d) > 32 {
		return false
	}
	for _, r := range d {
		if !(r >= '0' && r <= '9' || r == '*' || r == '#' || r == 'w' || r == 'W' || r >= 'A' && r <= 'D') {
			return false
		}
	}
	return true
}
