package webui

import (
	"io/fs"
	"net/http/httptest"
	"regexp"
	"slices"
	"testing"
)

// TestEveryStringInBothLanguages checks that every key a template or the
// script uses exists, with a non-empty text in English and in French.
func TestEveryStringInBothLanguages(t *testing.T) {
	t.Parallel()
	msgs := messages()
	for k, m := range msgs {
		if m[0] == "" || m[1] == "" {
			t.Errorf("key %q lacks a language: %q", k, m)
		}
	}
	tmplKey := regexp.MustCompile(`\.T\.T "([a-z_]+)"`)
	err := fs.WalkDir(templateFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(templateFS, p)
		if err != nil {
			return err
		}
		for _, m := range tmplKey.FindAllSubmatch(b, -1) {
			if _, ok := msgs[string(m[1])]; !ok {
				t.Errorf("%s uses unknown key %q", p, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"received", "processing", "imported", "rejected"} {
		if _, ok := msgs["st_"+s]; !ok {
			t.Errorf("status %s has no text", s)
		}
	}
	for _, s := range []string{"web", "api", "sftp", "sftp_pull", "genesys"} {
		if _, ok := msgs["src_"+s]; !ok {
			t.Errorf("source %s has no text", s)
		}
	}
	js, err := fs.ReadFile(staticFS, "static/import.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`\bS\.([a-z_]+)`).FindAllSubmatch(js, -1) {
		if !slices.Contains(jsKeys, string(m[1])) {
			t.Errorf("import.js uses %q, which is not in jsKeys", m[1])
		}
	}
	for _, k := range jsKeys {
		if _, ok := msgs[k]; !ok {
			t.Errorf("jsKeys has unknown key %q", k)
		}
	}
	fr := translator{lang: "fr", idx: 1, msgs: msgs}
	for key, want := range map[string]string{"campaigns": "Campagnes", "settings": "Paramètres", "import": "Importer des appels", "calls": "Appels"} {
		if got := fr.T(key); got != want {
			t.Errorf("French %s = %q, want %q", key, got, want)
		}
	}
}

func TestPickLang(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ accept, cookie, want string }{
		{"", "", "en"},
		{"fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7", "", "fr"},
		{"en-GB,en;q=0.9,fr;q=0.8", "", "en"},
		{"de-DE,de;q=0.9,fr;q=0.5,en;q=0.4", "", "fr"},
		{"fr;q=0, en;q=0.1", "", "en"},
		{"es", "", "en"},
		{"FR-ca", "", "fr"},
		{"fr", "en", "en"},
		{"en", "fr", "fr"},
		{"en", "xx", "en"},
	} {
		r := httptest.NewRequestWithContext(t.Context(), "GET", "/", nil)
		if tc.accept != "" {
			r.Header.Set("Accept-Language", tc.accept)
		}
		if tc.cookie != "" {
			r.Header.Set("Cookie", langCookie+"="+tc.cookie)
		}
		if got := pickLang(r); got != tc.want {
			t.Errorf("Accept-Language %q, cookie %q: %s, want %s", tc.accept, tc.cookie, got, tc.want)
		}
	}
}

func FuzzPickLang(f *testing.F) {
	for _, s := range []string{"fr-FR,fr;q=0.9", "en;q=abc", ";;;,,,", "fr;q=1e400", "*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, accept string) {
		r := httptest.NewRequestWithContext(t.Context(), "GET", "/", nil)
		r.Header.Set("Accept-Language", accept)
		if got := pickLang(r); !slices.Contains(languages, got) {
			t.Fatalf("pickLang(%q) = %q", accept, got)
		}
	})
}

func TestLocalPath(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"": "/campaigns", "/campaigns/x?status=imported": "/campaigns/x?status=imported", "//evil.example/x": "/campaigns",
		`/\evil.example`: "/campaigns", "https://evil.example/": "/campaigns", "campaigns": "/campaigns", "/": "/",
		"javascript:alert(1)": "/campaigns",
	} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}
