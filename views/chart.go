package views

import "fmt"

// Chart is a bar chart drawn as inline SVG by the "barchart" partial; the
// geometry is computed here so the template only places it.
type Chart struct {
	Title  string
	Width  int
	Height int
	Bars   []Bar
	Max    int64
}

// Bar is one bar of a Chart.
type Bar struct {
	Label      string
	Value      int64
	X, Y, W, H float64
	// Tick says whether the label is drawn (every few bars when crowded).
	Tick bool
}

// NewChart lays out values as bars in a width × height area with room for
// labels below.
func NewChart(title string, labels []string, values []int64) Chart {
	const width, height, plot, gap = 640, 180, 140, 4
	c := Chart{Title: title, Width: width, Height: height}
	for _, v := range values {
		c.Max = max(c.Max, v)
	}
	n := len(values)
	if n == 0 {
		return c
	}
	slot := float64(width) / float64(n)
	every := max(1, (n+11)/12)
	for i, v := range values {
		h := 0.0
		if c.Max > 0 {
			h = float64(plot) * float64(v) / float64(c.Max)
		}
		c.Bars = append(c.Bars, Bar{
			Label: labels[i], Value: v,
			X: float64(i)*slot + gap/2, W: max(slot-gap, 1), Y: float64(plot) - h, H: h,
			Tick: i%every == 0,
		})
	}
	return c
}

// Summary is the chart in words, for screen readers and the title.
func (c Chart) Summary() string {
	var total int64
	for _, b := range c.Bars {
		total += b.Value
	}
	return fmt.Sprintf("%s: %d", c.Title, total)
}
