package views

import (
	"fmt"
	"testing"
)

// TestChartLabelsDoNotCollide: the labels drawn under the bars, as wide as
// an 11 px font draws them, keep apart and inside the chart, for every
// number of months a company page can show; the "max" line sits above the
// tallest bar.
func TestChartLabelsDoNotCollide(t *testing.T) {
	for n := 1; n <= 36; n++ {
		labels, values := make([]string, n), make([]int64, n)
		for i := range labels {
			labels[i] = fmt.Sprintf("20%02d-%02d", 24+i/12, i%12+1)
			values[i] = int64(i + 1)
		}
		c := NewChart("t", labels, values)
		const charWidth = 0.6 * 11
		last := -1.0
		ticks := 0
		for _, b := range c.Bars {
			if !b.Tick {
				continue
			}
			ticks++
			if last >= 0 && b.X < last+4 {
				t.Errorf("%d months: label %q at %.1f overlaps the one before, which ends at %.1f", n, b.Label, b.X, last)
			}
			last = b.X + float64(len(b.Label))*charWidth
			if last > float64(c.Width) {
				t.Errorf("%d months: label %q ends at %.1f, outside the chart's %d", n, b.Label, last, c.Width)
			}
		}
		if ticks == 0 {
			t.Errorf("%d months: no label at all", n)
		}
		for _, b := range c.Bars {
			if b.Y < 12 {
				t.Errorf("%d months: bar %q reaches %.1f, into the max line", n, b.Label, b.Y)
			}
		}
	}
}
