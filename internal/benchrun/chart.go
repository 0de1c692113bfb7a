package benchrun

import (
	"fmt"
	"image/color"
	"io"
	"slices"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// WriteChart draws r as a PNG: left, the distribution of cold-start
// latencies (a) and of their floors (empirical CDF: the fraction of cold
// starts at or below each latency); right, per warm scenario, the latency
// p50 and p99 against the floor p50.
func WriteChart(w io.Writer, r *Report) error {
	left, err := coldPlot(r)
	if err != nil {
		return err
	}
	right, err := warmPlot(r)
	if err != nil {
		return err
	}
	const width, height = 12 * vg.Inch, 4.5 * vg.Inch
	img := vgimg.New(width, height)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Millimeter * 6, PadY: vg.Millimeter * 2, PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	plots := [][]*plot.Plot{{left, right}}
	canvases := plot.Align(plots, tiles, dc)
	left.Draw(canvases[0][0])
	right.Draw(canvases[0][1])
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(w); err != nil {
		return fmt.Errorf("benchrun: write chart: %w", err)
	}
	return nil
}

func coldPlot(r *Report) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "(a) cold starts: distribution"
	p.X.Label.Text = "ms (first invoke of a fresh RIE, init included)"
	p.Y.Label.Text = "fraction of cold starts ≤ x"
	// The band above 1 holds the legend, clear of the curves.
	p.Y.Min, p.Y.Max = 0, 1.3
	p.Y.Tick.Marker = plot.ConstantTicks([]plot.Tick{{Value: 0, Label: "0"}, {Value: 0.25, Label: "0.25"}, {Value: 0.5, Label: "0.5"}, {Value: 0.75, Label: "0.75"}, {Value: 1, Label: "1"}})
	p.Add(plotter.NewGrid())
	s, ok := r.Scenario(ScenarioCold)
	if !ok || len(s.Latency) == 0 {
		return p, nil
	}
	for i, series := range []struct {
		name string
		d    []time.Duration
	}{{"latency", s.Latency}, {"floor (same calls, fresh connections)", s.Floor}} {
		if len(series.d) == 0 {
			continue
		}
		line, points, err := plotter.NewLinePoints(ecdf(series.d))
		if err != nil {
			return nil, fmt.Errorf("benchrun: chart: %w", err)
		}
		line.StepStyle = plotter.PostStep
		line.Color, points.Color = plotutil.Color(i), plotutil.Color(i)
		points.Shape = plotutil.Shape(i)
		p.Add(line, points)
		p.Legend.Add(fmt.Sprintf("%s (median %s)", series.name, msString(Summarize(series.d).P50)), line, points)
	}
	p.Legend.Top = true
	p.Legend.Left = true
	return p, nil
}

// ecdf returns the points (x = ms, y = fraction ≤ x) of samples' empirical
// cumulative distribution.
func ecdf(samples []time.Duration) plotter.XYs {
	s := slices.Clone(samples)
	slices.Sort(s)
	xy := make(plotter.XYs, len(s))
	for i, d := range s {
		xy[i].X = float64(d) / float64(time.Millisecond)
		xy[i].Y = float64(i+1) / float64(len(s))
	}
	return xy
}

func warmPlot(r *Report) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "warm invocations: latency against the floor"
	p.Y.Label.Text = "ms"
	p.Add(plotter.NewGrid())
	var (
		names              []string
		p50s, p99s, floors plotter.Values
	)
	for _, s := range r.Scenarios {
		if s.Cold || len(s.Latency) == 0 {
			continue
		}
		st := s.Stats()
		names = append(names, "("+s.ID+")")
		p50s = append(p50s, ms64(st.Latency.P50))
		p99s = append(p99s, ms64(st.Latency.P99))
		floors = append(floors, ms64(st.Floor.P50))
	}
	if len(names) == 0 {
		return p, nil
	}
	width := vg.Points(18)
	for i, series := range []struct {
		name string
		v    plotter.Values
	}{{"latency p50", p50s}, {"latency p99", p99s}, {"floor p50", floors}} {
		bars, err := plotter.NewBarChart(series.v, width)
		if err != nil {
			return nil, fmt.Errorf("benchrun: chart: %w", err)
		}
		bars.Color = plotutil.Color(i)
		bars.LineStyle.Color = color.Black
		bars.Offset = vg.Length(i-1) * width
		p.Add(bars)
		p.Legend.Add(series.name, bars)
	}
	p.NominalX(names...)
	// Headroom above the tallest bar for the legend.
	top := 0.0
	for _, v := range [][]float64{p50s, p99s, floors} {
		top = max(top, slices.Max(v))
	}
	p.Y.Min, p.Y.Max = 0, top*1.3
	p.Legend.Top = true
	p.Legend.Left = false
	return p, nil
}

func ms64(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
