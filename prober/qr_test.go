package prober

import (
	"strings"
	"testing"

	"github.com/linkwatch/linkwatch"
)

func TestCheckQR(t *testing.T) {
	tests := []struct {
		name   string
		public string
		link   linkwatch.Link
		class  string
		errHas string
	}{
		{name: "default domain", public: "https://lnk.example.com", link: linkwatch.Link{ID: 3, Slug: "spring"}},
		{name: "custom domain", public: "https://lnk.example.com", link: linkwatch.Link{ID: 3, Slug: "Spring-2025", Domain: "go.shop.example"}},
		{name: "local", public: "http://localhost:8080/", link: linkwatch.Link{ID: 3, Slug: "x"}},
		{name: "too long to encode", public: "https://lnk.example.com/" + strings.Repeat("p", 3000), link: linkwatch.Link{ID: 3, Slug: "x"},
			class: linkwatch.ClassQR, errHas: "rendering the QR code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testChecker(t, func(cfg *Config) { cfg.PublicURL = mustURL(t, tt.public) })
			res := c.CheckQR(Assign(&tt.link, c.cfg.PublicURL))
			if res.Class != tt.class || !strings.Contains(res.Error, tt.errHas) || tt.class == "" && res.Error != "" {
				t.Fatalf("class %q error %q, want %q containing %q", res.Class, res.Error, tt.class, tt.errHas)
			}
			if res.Step != linkwatch.StepQR || len(res.ID) != 32 || res.Target != (linkwatch.Target{Kind: linkwatch.KindLink, ID: 3}) ||
				res.Region != "eu-west" || res.At.IsZero() {
				t.Errorf("result %+v", res)
			}
		})
	}
}
