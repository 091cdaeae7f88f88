package redirector

import (
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
)

// TestLocationIDN checks that internationalised destinations go out in
// punycode and percent-encoding, whether the link was stored normalised (it
// is validated now) or before normalisation existed (converted at load).
func TestLocationIDN(t *testing.T) {
	validated := &linkwatch.Link{Slug: "new", Destination: "https://bücher.example/straße?q=ü",
		RedirectCode: 302, CheckInterval: time.Minute}
	if err := validated.Validate(); err != nil {
		t.Fatal(err)
	}
	base, _, _ := startRedirector(t,
		validated,
		&linkwatch.Link{Slug: "legacy", Destination: "https://bücher.example/straße?q=ü", RedirectCode: 302},
		&linkwatch.Link{Slug: "legacyfb", Destination: "https://example.com/", FallbackURL: "https://bücher.example/ß",
			FailedOver: true, RedirectCode: 302},
	)
	const want = "https://xn--bcher-kva.example/stra%C3%9Fe?q=%C3%BC"
	for _, tt := range []struct{ path, want string }{
		{"/new", want},
		{"/legacy", want},
		{"/legacy?utm_source=qr", "https://xn--bcher-kva.example/stra%C3%9Fe?q=%C3%BC&utm_source=qr"},
		{"/legacyfb", "https://xn--bcher-kva.example/%C3%9F"},
	} {
		resp := get(t, base+tt.path, "Mozilla/5.0 (iPhone) Mobile")
		if got := resp.Header.Get("Location"); resp.StatusCode != 302 || got != tt.want {
			t.Errorf("%s: %d Location %q, want 302 %q", tt.path, resp.StatusCode, got, tt.want)
		}
	}
}
