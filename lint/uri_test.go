package lint

import (
	"net/url"
	"testing"
)

var uriCases = []string{"", "*", "**", "p.json", "/etc/x y.json", "a:b/c", "./a:b", "dir/a:b", "c:", "?#%", "100%", "é.json", "\xff\x00", "a+b&c=d;e,f$g@h~i", "x<y>'\"`{}|\\^[]"}

func TestFileURIIsNetURL(t *testing.T) {
	for _, c := range uriCases {
		if got, want := fileURI(c), (&url.URL{Path: c}).String(); got != want {
			t.Errorf("fileURI(%q) = %q, net/url gives %q", c, got, want)
		}
	}
}

func FuzzFileURI(f *testing.F) {
	for _, c := range uriCases {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, c string) {
		if got, want := fileURI(c), (&url.URL{Path: c}).String(); got != want {
			t.Errorf("fileURI(%q) = %q, net/url gives %q", c, got, want)
		}
	})
}
