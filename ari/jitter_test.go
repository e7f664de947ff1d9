package ari

import "testing"

func frame(v int16) []int16 { return []int16{v} }

// play pops n ticks and renders them as values, with -1 for silence.
func play(j *jitterBuffer, n int) []int16 {
	out := make([]int16, n)
	for i := range out {
		if s := j.pop(); s != nil {
			out[i] = s[0]
		} else {
			out[i] = -1
		}
	}
	return out
}

func TestJitterBuffer(t *testing.T) {
	tests := []struct {
		name  string
		seqs  []uint16
		ticks int
		want  []int16
		lost  uint64
	}{
		{"in order", []uint16{1, 2, 3}, 4, []int16{1, 2, 3, -1}, 0},
		{"reordered", []uint16{1, 3, 2, 4}, 4, []int16{1, 2, 3, 4}, 0},
		{"one lost", []uint16{1, 2, 4, 5}, 5, []int16{1, 2, -1, 4, 5}, 1},
		{"three lost", []uint16{1, 5}, 5, []int16{1, -1, -1, -1, 5}, 3},
		{"wraps", []uint16{65534, 65535, 0, 1}, 4, []int16{65534 % 1000, 65535 % 1000, 0, 1}, 0},
		{"duplicate", []uint16{1, 1, 2}, 3, []int16{1, 2, -1}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			j := newJitterBuffer(10)
			for _, s := range tc.seqs {
				j.push(1, s, frame(int16(s%1000)))
			}
			got := play(j, tc.ticks)
			for i := range tc.want {
				if got[i] != tc.want[i] {
					t.Fatalf("played %v, want %v", got, tc.want)
				}
			}
			if j.stats.Lost != tc.lost {
				t.Errorf("lost %d, want %d", j.stats.Lost, tc.lost)
			}
		})
	}
}

func TestJitterBufferLateAndReset(t *testing.T) {
	j := newJitterBuffer(10)
	j.push(1, 100, frame(1))
	j.push(1, 101, frame(2))
	play(j, 2)
	j.push(1, 100, frame(9)) // already played
	if j.stats.Late != 1 {
		t.Errorf("late = %d", j.stats.Late)
	}
	j.push(2, 7, frame(5)) // new SSRC starts over
	if got := play(j, 1); got[0] != 5 || j.stats.Resets != 1 {
		t.Errorf("after ssrc change played %v resets %d", got, j.stats.Resets)
	}
	j.push(2, 30000, frame(6)) // absurd jump: resync
	if got := play(j, 1); got[0] != 6 {
		t.Errorf("after jump played %v", got)
	}
}

func TestJitterBufferOverflowDropsOldest(t *testing.T) {
	j := newJitterBuffer(4)
	for s := uint16(1); s <= 6; s++ {
		j.push(1, s, frame(int16(s)))
	}
	if got := play(j, 4); got[0] != 3 || got[3] != 6 {
		t.Errorf("played %v, want 3..6", got)
	}
	if j.stats.Overflow != 2 {
		t.Errorf("overflow %d, want 2", j.stats.Overflow)
	}
}
