package benchrun

import (
	"math"
	"slices"
	"time"
)

// Summary describes a sample of durations.
type Summary struct {
	N                       int
	Min, P50, P95, P99, Max time.Duration
	Mean                    time.Duration
}

// Summarize returns the Summary of samples (which it does not modify). The
// zero Summary describes an empty sample.
func Summarize(samples []time.Duration) Summary {
	if len(samples) == 0 {
		return Summary{}
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	var sum float64
	for _, d := range s {
		sum += float64(d)
	}
	return Summary{
		N:    len(s),
		Min:  s[0],
		P50:  Percentile(s, 50),
		P95:  Percentile(s, 95),
		P99:  Percentile(s, 99),
		Max:  s[len(s)-1],
		Mean: time.Duration(math.Round(sum / float64(len(s)))),
	}
}

// Percentile returns the p-th percentile (0 <= p <= 100) of sorted, by
// linear interpolation between the two closest ranks (the method of
// numpy.percentile's default and of spreadsheets' PERCENTILE.INC): rank
// h = (n-1)*p/100, value sorted[floor(h)] + (h-floor(h)) *
// (sorted[floor(h)+1] - sorted[floor(h)]). The median of an even sample is
// the mean of its two middle values. It returns 0 for an empty sample.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	p = min(max(p, 0), 100)
	h := float64(n-1) * p / 100
	lo := int(math.Floor(h))
	if lo >= n-1 {
		return sorted[n-1]
	}
	frac := h - float64(lo)
	return sorted[lo] + time.Duration(math.Round(frac*float64(sorted[lo+1]-sorted[lo])))
}

// Differences returns a[i] - b[i] for the pairs both slices have.
func Differences(a, b []time.Duration) []time.Duration {
	n := min(len(a), len(b))
	out := make([]time.Duration, n)
	for i := range n {
		out[i] = a[i] - b[i]
	}
	return out
}

// IntSummary describes a sample of counts.
type IntSummary struct {
	Median   float64
	Min, Max int
}

// SummarizeInts returns the IntSummary of values; the median of an even
// sample is the mean of its two middle values.
func SummarizeInts(values []int) IntSummary {
	if len(values) == 0 {
		return IntSummary{}
	}
	s := slices.Clone(values)
	slices.Sort(s)
	n := len(s)
	med := float64(s[n/2])
	if n%2 == 0 {
		med = float64(s[n/2-1]+s[n/2]) / 2
	}
	return IntSummary{Median: med, Min: s[0], Max: s[n-1]}
}
