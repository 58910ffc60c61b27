package report

import "time"

// Percentile is the exact nearest-rank p-th percentile (0 < p <= 100) of
// sorted: the smallest value with at least p % of the values at or below
// it. An empty slice answers 0. Tools that keep every latency use it;
// Histogram answers the same question in bounded memory.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[rank(uint64(len(sorted)), p)-1]
}
