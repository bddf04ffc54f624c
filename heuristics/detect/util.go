package detect

import (
	"fmt"
	"math"
	"sort"
)

// btc formats satoshis as BTC.
func btc(sat uint64) string { return fmt.Sprintf("%d.%08d", sat/1e8, sat%1e8) }

// median returns the median of v (0 for none).
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}

// cv returns the coefficient of variation (standard deviation over mean)
// of v, or +Inf when the mean is 0.
func cv(v []float64) float64 {
	if len(v) == 0 {
		return math.Inf(1)
	}
	var sum float64
	for _, x := range v {
		sum += x
	}
	mean := sum / float64(len(v))
	if mean == 0 {
		return math.Inf(1)
	}
	var ss float64
	for _, x := range v {
		ss += (x - mean) * (x - mean)
	}
	return math.Sqrt(ss/float64(len(v))) / mean
}
