package benchrun

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func ms2d(v ...float64) []time.Duration {
	out := make([]time.Duration, len(v))
	for i, f := range v {
		out[i] = time.Duration(f * float64(time.Millisecond))
	}
	return out
}

func TestPercentile(t *testing.T) {
	t.Parallel()
	oneToTen := ms2d(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{name: "empty", sorted: nil, p: 50, want: 0},
		{name: "single", sorted: ms2d(7), p: 99, want: 7 * time.Millisecond},
		{name: "median of odd", sorted: ms2d(1, 2, 9), p: 50, want: 2 * time.Millisecond},
		{name: "median of even is the mean of the middle two", sorted: ms2d(1, 2, 4, 9), p: 50, want: 3 * time.Millisecond},
		{name: "p0 is the minimum", sorted: oneToTen, p: 0, want: 1 * time.Millisecond},
		{name: "p100 is the maximum", sorted: oneToTen, p: 100, want: 10 * time.Millisecond},
		{name: "p95 of ten interpolates", sorted: oneToTen, p: 95, want: 9550 * time.Microsecond},
		{name: "p90 of ten", sorted: oneToTen, p: 90, want: 9100 * time.Microsecond},
		{name: "p above 100 is clamped", sorted: oneToTen, p: 150, want: 10 * time.Millisecond},
		{name: "negative p is clamped", sorted: oneToTen, p: -5, want: 1 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("Percentile(%v, %v) = %v, want %v", tt.sorted, tt.p, got, tt.want)
			}
		})
	}
}

func TestPercentileOf1000(t *testing.T) {
	t.Parallel()
	s := make([]time.Duration, 1000)
	for i := range s {
		s[i] = time.Duration(i+1) * time.Millisecond // 1..1000 ms
	}
	// h = 999 * p / 100: p50 -> 499.5 -> 500.5 ms; p99 -> 989.01 -> 990.01 ms.
	for p, want := range map[float64]time.Duration{50: 500500 * time.Microsecond, 99: 990010 * time.Microsecond} {
		if got := Percentile(s, p); got != want {
			t.Errorf("Percentile(1..1000 ms, %v) = %v, want %v", p, got, want)
		}
	}
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	in := ms2d(4, 1, 3, 2) // unsorted on purpose
	want := Summary{N: 4, Min: ms2d(1)[0], P50: 2500 * time.Microsecond, P95: 3850 * time.Microsecond, P99: 3970 * time.Microsecond, Max: ms2d(4)[0], Mean: 2500 * time.Microsecond}
	got := Summarize(in)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Summarize(%v) mismatch (-want +got):\n%s", in, diff)
	}
	if diff := cmp.Diff(ms2d(4, 1, 3, 2), in); diff != "" {
		t.Errorf("Summarize modified its input (-want +got):\n%s", diff)
	}
	if got := Summarize(nil); got != (Summary{}) {
		t.Errorf("Summarize(nil) = %+v, want the zero Summary", got)
	}
}

func TestDifferences(t *testing.T) {
	t.Parallel()
	got := Differences(ms2d(10, 20, 30), ms2d(1, 25))
	if diff := cmp.Diff(ms2d(9, -5), got); diff != "" {
		t.Errorf("Differences() mismatch (-want +got):\n%s", diff)
	}
}

func TestSummarizeInts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   []int
		want IntSummary
	}{
		{name: "empty", in: nil, want: IntSummary{}},
		{name: "odd", in: []int{3, 1, 2}, want: IntSummary{Median: 2, Min: 1, Max: 3}},
		{name: "even", in: []int{10, 9, 10, 9}, want: IntSummary{Median: 9.5, Min: 9, Max: 10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := SummarizeInts(tt.in); got != tt.want {
				t.Errorf("SummarizeInts(%v) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}
