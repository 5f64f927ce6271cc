package views

import (
	"fmt"
	"math"
)

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

// Chart geometry, in the SVG's own units: the bars stand between top and
// plot (the line of "max" sits above them), the labels below.
const (
	chartWidth, chartHeight = 640, 180
	chartTop, chartPlot     = 16, 140
	chartGap                = 4
	// tickFont is the labels' font size (.chart .tick); a character is
	// taken as at most tickChar wide, and labels keep tickSpace apart.
	tickFont, tickChar, tickSpace = 11, 0.62 * tickFont, 8
)

// NewChart lays out values as bars in a width × height area with room for
// labels below. Only every few bars get a label, so that labels as wide
// as they are drawn never touch their neighbours.
func NewChart(title string, labels []string, values []int64) Chart {
	c := Chart{Title: title, Width: chartWidth, Height: chartHeight}
	for _, v := range values {
		c.Max = max(c.Max, v)
	}
	n := len(values)
	if n == 0 {
		return c
	}
	slot := float64(chartWidth) / float64(n)
	widest := 0
	for _, l := range labels {
		widest = max(widest, len([]rune(l)))
	}
	every := max(1, int(math.Ceil((float64(widest)*tickChar+tickSpace)/slot)))
	for i, v := range values {
		h := 0.0
		if c.Max > 0 {
			h = float64(chartPlot-chartTop) * float64(v) / float64(c.Max)
		}
		c.Bars = append(c.Bars, Bar{
			Label: labels[i], Value: v,
			X: float64(i)*slot + chartGap/2, W: max(slot-chartGap, 1), Y: float64(chartPlot) - h, H: h,
			Tick: i%every == 0 && float64(i)*slot+float64(widest)*tickChar <= chartWidth,
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
