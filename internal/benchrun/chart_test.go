package benchrun

import (
	"bytes"
	"image/png"
	"testing"
)

func TestWriteChart(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		report *Report
	}{
		{name: "full report", report: fixtureReport()},
		{name: "no scenarios", report: &Report{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var b bytes.Buffer
			if err := WriteChart(&b, tt.report); err != nil {
				t.Fatalf("WriteChart() = %v", err)
			}
			img, err := png.Decode(&b)
			if err != nil {
				t.Fatalf("WriteChart() wrote no PNG: %v", err)
			}
			if r := img.Bounds(); r.Dx() < 600 || r.Dy() < 200 {
				t.Errorf("WriteChart() image is %dx%d, want at least 600x200", r.Dx(), r.Dy())
			}
		})
	}
}

func TestECDF(t *testing.T) {
	t.Parallel()
	got := ecdf(ms2d(3, 1, 2, 4))
	for i, want := range []struct{ x, y float64 }{{1, 0.25}, {2, 0.5}, {3, 0.75}, {4, 1}} {
		if got[i].X != want.x || got[i].Y != want.y {
			t.Errorf("ecdf()[%d] = (%v, %v), want (%v, %v)", i, got[i].X, got[i].Y, want.x, want.y)
		}
	}
}
