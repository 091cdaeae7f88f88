package qrcode

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strconv"
	"strings"
	"testing"
)

type svgDoc struct {
	XMLName        xml.Name `xml:"svg"`
	Width          string   `xml:"width,attr"`
	Height         string   `xml:"height,attr"`
	ViewBox        string   `xml:"viewBox,attr"`
	ShapeRendering string   `xml:"shape-rendering,attr"`
	Rects          []struct {
		Width  string `xml:"width,attr"`
		Height string `xml:"height,attr"`
		Fill   string `xml:"fill,attr"`
	} `xml:"rect"`
	Paths []struct {
		D    string `xml:"d,attr"`
		Fill string `xml:"fill,attr"`
	} `xml:"path"`
}

func TestSVG(t *testing.T) {
	for _, text := range roundTripTexts {
		for _, level := range levels {
			for _, size := range []int{MinSize, DefaultSize, MaxSize} {
				name := fmt.Sprintf("%q/%v/%d", text, level, size)
				b, err := SVG(text, size, level)
				if err != nil {
					t.Fatalf("%s: SVG: %v", name, err)
				}
				var doc svgDoc
				if err := xml.Unmarshal(b, &doc); err != nil {
					t.Fatalf("%s: SVG is not XML: %v\n%s", name, err, b)
				}
				checkSVG(t, name, doc, size)
				n, _ := strconv.Atoi(doc.Rects[0].Width)
				grid := svgModules(t, doc.Paths[0].D, n)
				if got, err := Decode(gridPNG(t, grid, 4)); err != nil || got != text {
					t.Errorf("%s: decoding the SVG's modules = %q, %v; want %q", name, got, err, text)
				}
			}
		}
	}
}

func checkSVG(t *testing.T, name string, doc svgDoc, size int) {
	t.Helper()
	px := strconv.Itoa(size)
	if doc.XMLName.Space != "http://www.w3.org/2000/svg" {
		t.Errorf("%s: namespace = %q", name, doc.XMLName.Space)
	}
	if doc.Width != px || doc.Height != px {
		t.Errorf("%s: width, height = %q, %q; want %q", name, doc.Width, doc.Height, px)
	}
	if doc.ShapeRendering != "crispEdges" {
		t.Errorf("%s: shape-rendering = %q", name, doc.ShapeRendering)
	}
	if len(doc.Rects) != 1 || len(doc.Paths) != 1 {
		t.Fatalf("%s: %d rects and %d paths, want one of each", name, len(doc.Rects), len(doc.Paths))
	}
	r := doc.Rects[0]
	if want := "0 0 " + r.Width + " " + r.Width; doc.ViewBox != want || r.Height != r.Width || r.Fill != "#fff" {
		t.Errorf("%s: viewBox %q, background %s×%s %s; want viewBox %q and a white background filling it",
			name, doc.ViewBox, r.Width, r.Height, r.Fill, want)
	}
	if doc.Paths[0].Fill != "#000" {
		t.Errorf("%s: path fill = %q, want #000", name, doc.Paths[0].Fill)
	}
}

// svgModules rasterises the path SVG writes, one "Mx yhWv1Hxz" rectangle per
// run of dark modules, into an n×n grid.
func svgModules(t *testing.T, d string, n int) [][]bool {
	t.Helper()
	grid := make([][]bool, n)
	for y := range grid {
		grid[y] = make([]bool, n)
	}
	runs := strings.Split(strings.TrimSuffix(d, "z"), "z")
	for _, run := range runs {
		var x, y, w, back int
		if _, err := fmt.Sscanf(run, "M%d %dh%dv1H%d", &x, &y, &w, &back); err != nil {
			t.Fatalf("path segment %q: %v", run, err)
		}
		if back != x || w < 1 || x < quietZone || y < quietZone || x+w > n-quietZone || y >= n-quietZone {
			t.Fatalf("path segment %q is not a run of modules inside the quiet zone", run)
		}
		for i := x; i < x+w; i++ {
			if grid[y][i] {
				t.Fatalf("path segment %q overlaps another run", run)
			}
			grid[y][i] = true
		}
	}
	return grid
}

// gridPNG draws a module grid at scale pixels per module.
func gridPNG(t *testing.T, grid [][]bool, scale int) []byte {
	t.Helper()
	n := len(grid)
	img := image.NewGray(image.Rect(0, 0, n*scale, n*scale))
	for y := range n * scale {
		for x := range n * scale {
			c := color.Gray{Y: 0xff}
			if grid[y/scale][x/scale] {
				c.Y = 0
			}
			img.SetGray(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestSVGMatchesPNG(t *testing.T) {
	for _, level := range levels {
		s, err := SVG(shortURL, DefaultSize, level)
		if err != nil {
			t.Fatal(err)
		}
		var doc svgDoc
		if err := xml.Unmarshal(s, &doc); err != nil {
			t.Fatal(err)
		}
		n, _ := strconv.Atoi(doc.Rects[0].Width)
		grid := svgModules(t, doc.Paths[0].D, n)

		// At n*8 pixels the PNG has exactly 8 pixels per module and no padding.
		const scale = 8
		b, err := PNG(shortURL, n*scale, level)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		for y := range n {
			for x := range n {
				r, _, _, _ := img.At(x*scale+scale/2, y*scale+scale/2).RGBA()
				if dark := r == 0; dark != grid[y][x] {
					t.Fatalf("level %v: module (%d,%d) dark in PNG %v, in SVG %v", level, x, y, dark, grid[y][x])
				}
			}
		}
	}
}
