package navigator

import (
	"strconv"
	"strings"
	"unicode"
)

// normalize lowercases, turns punctuation other than commas into sentence stops and
// collapses spaces, so patterns can work on plain words.
func normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range strings.ToLower(s) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\'' || r == '*' || r == '#':
			if r == '\u2019' {
				r = '\''
			}
			b.WriteRune(r)
			space = false
		case r == '.' || r == '!' || r == '?' || r == ';' || r == ':':
			b.WriteString(" . ")
			space = true
		case r == ',':
			b.WriteString(" , ")
			space = true
		default:
			if !space {
				b.WriteByte(' ')
				space = true
			}
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// words returns the lowercase word tokens of s without punctuation.
func words(s string) []string {
	var out []string
	for _, w := range strings.Fields(normalize(s)) {
		if w != "," && w != "." {
			out = append(out, w)
		}
	}
	return out
}

var smallNumbers = map[string]int{
	"zero": 0, "oh": 0, "o": 0, "one": 1, "two": 2, "to": -1, "too": -1, "three": 3, "four": 4, "for": -1,
	"five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
	"thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
	"nineteen": 19, "a": 1, "an": 1,
}

var tens = map[string]int{"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}

var ordinals = map[string]int{
	"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
	"ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14,
	"fifteenth": 15, "twentieth": 20,
}

// parseNumber reads a number at toks[i:]: digits ("12", "5th"), words ("twenty five",
// "one hundred"), ordinals ("fifth"). It returns the value and how many tokens it used.
// Homophones of digits ("to", "for") are not numbers here.
func parseNumber(toks []string, i int) (int, int, bool) {
	if i >= len(toks) {
		return 0, 0, false
	}
	t := toks[i]
	digits := strings.TrimRight(t, "stndrh") // 5th, 1st, 2nd, 3rd
	if n, err := strconv.Atoi(digits); err == nil && digits != "" {
		return n, 1, true
	}
	if n, ok := ordinals[t]; ok {
		return n, 1, true
	}
	val, used := 0, 0
	if n, ok := tens[t]; ok {
		val, used = n, 1
		if i+1 < len(toks) {
			next := strings.TrimPrefix(toks[i+1], "-")
			if n2, ok := smallNumbers[next]; ok && n2 > 0 && n2 < 10 && next != "a" && next != "an" {
				val, used = val+n2, 2
			} else if n2, ok := ordinals[next]; ok && n2 < 10 {
				val, used = val+n2, 2
			}
		}
	} else if n, ok := smallNumbers[t]; ok && n >= 0 {
		val, used = n, 1
	} else {
		return 0, 0, false
	}
	if i+used < len(toks) && toks[i+used] == "hundred" {
		val, used = val*100, used+1
		if i+used+1 < len(toks) && toks[i+used] == "and" {
			if n, u, ok := parseNumber(toks, i+used+1); ok && n < 100 {
				val, used = val+n, used+1+u
			}
		} else if n, u, ok := parseNumber(toks, i+used); ok && n < 100 && toks[i+used] != "a" {
			val, used = val+n, used+u
		}
	}
	return val, used, true
}

// stopwords carry no meaning for matching an intent to a menu option.
var stopwords = map[string]bool{
	"a": true, "an": true, "the": true, "to": true, "for": true, "of": true, "and": true, "or": true,
	"your": true, "you": true, "my": true, "i": true, "if": true, "on": true, "in": true, "with": true,
	"about": true, "is": true, "are": true, "am": true, "be": true, "please": true, "press": true,
	"would": true, "like": true, "want": true, "need": true, "me": true, "it": true, "this": true,
	"that": true, "our": true, "we": true, "can": true, "do": true, "have": true, "has": true, "an'": true,
	"calling": true, "call": true, "now": true, "any": true, "all": true, "at": true, "time": true,
	"'d": true, "i'd": true, "regarding": true, "questions": true, "question": true, "information": true,
}

// stem strips common English suffixes so "payments" meets "payment" and "billing" meets "bill".
func stem(w string) string {
	for _, suf := range []string{"ing", "ments", "ment", "ies", "es", "s", "ed"} {
		if len(w) > len(suf)+2 && strings.HasSuffix(w, suf) {
			w = strings.TrimSuffix(w, suf)
			if suf == "ies" {
				w += "y"
			}
			break
		}
	}
	return w
}

// contentStems returns the stemmed non-stopword tokens of s.
func contentStems(s string) []string {
	var out []string
	for _, w := range words(s) {
		if !stopwords[w] {
			out = append(out, stem(w))
		}
	}
	return out
}

// similarity is a token-set similarity in [0, 1] between two texts: the Dice coefficient of
// their word bigrams and unigrams, robust to STT's small word errors.
func similarity(a, b string) float64 {
	wa, wb := words(a), words(b)
	if len(wa) == 0 || len(wb) == 0 {
		return 0
	}
	return dice(wa, wb)
}

func dice(a, b []string) float64 {
	count := func(ws []string) map[string]int {
		m := map[string]int{}
		for i, w := range ws {
			m[stem(w)]++
			if i > 0 {
				m[stem(ws[i-1])+" "+stem(w)]++
			}
		}
		return m
	}
	ca, cb := count(a), count(b)
	inter, total := 0, 0
	for k, n := range ca {
		inter += min(n, cb[k])
		total += n
	}
	for _, n := range cb {
		total += n
	}
	return 2 * float64(inter) / float64(total)
}

// coverage is the share of want's words (stemmed) found in have, for "did we hear what we
// expected" where have may contain more than want.
func coverage(want, have string) float64 {
	ww := words(want)
	if len(ww) == 0 {
		return 1
	}
	hs := map[string]bool{}
	for _, w := range words(have) {
		hs[stem(w)] = true
	}
	n := 0
	for _, w := range ww {
		if hs[stem(w)] {
			n++
		}
	}
	return float64(n) / float64(len(ww))
}

// containsPhrase reports whether the words of phrase occur in order, contiguously, in text.
func containsPhrase(text []string, phrase []string) bool {
	if len(phrase) == 0 || len(phrase) > len(text) {
		return false
	}
outer:
	for i := 0; i+len(phrase) <= len(text); i++ {
		for j, p := range phrase {
			if stem(text[i+j]) != stem(p) {
				continue outer
			}
		}
		return true
	}
	return false
}
