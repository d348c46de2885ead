package polling

import "testing"

func TestStateMemory(t *testing.T) {
	rank := map[string]int{"paid": 1, "shipped": 2, "cancelled": 3}
	type step struct {
		order, state  string
		wantEarlier   string
		wantBackwards bool
	}
	tests := []struct {
		name  string
		max   int
		steps []step
	}{
		{"forward and the same state pass", 10, []step{{"a", "paid", "", false}, {"a", "paid", "", false}, {"a", "shipped", "", false}, {"a", "cancelled", "", false}}},
		{"backwards is reported and not recorded", 10, []step{{"a", "cancelled", "", false}, {"a", "paid", "cancelled", true}, {"a", "shipped", "cancelled", true}}},
		{"orders apart", 10, []step{{"a", "shipped", "", false}, {"b", "paid", "", false}, {"b", "shipped", "", false}}},
		{"the order remembered first is forgotten first", 2, []step{
			{"a", "cancelled", "", false}, {"b", "cancelled", "", false}, {"c", "cancelled", "", false},
			{"a", "paid", "", false}, // a was forgotten for c
			{"c", "paid", "cancelled", true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := NewStateMemory(tt.max, func(s string) int { return rank[s] })
			for i, s := range tt.steps {
				earlier, backwards := m.Observe(s.order, s.state)
				if earlier != s.wantEarlier || backwards != s.wantBackwards {
					t.Errorf("step %d (%s %s): %q, %t; want %q, %t", i, s.order, s.state, earlier, backwards, s.wantEarlier, s.wantBackwards)
				}
			}
		})
	}
}
