package views

import (
	"bufio"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestCoverage: every page, the analyst's and the admin's as much as the
// accountant's, is written in every language Bilag offers, the core's
// words and every connector's. A text the same as the English one counts
// as untranslated unless it is on that language's reviewed list of words
// that are the same in it (testdata/same_as_english/<lang>.txt: names such
// as "Visma e-conomic", and words such as "Status"). It prints a line per
// language, and per page (a key's first part) with texts missing.
func TestCoverage(t *testing.T) {
	r, err := testRenderer(t)
	if err != nil {
		t.Fatal(err)
	}
	keys := slices.Sorted(maps.Keys(r.words["en"]))
	for _, lang := range Languages() {
		if lang == "en" {
			continue
		}
		same := sameAsEnglish(t, lang)
		missing := map[string][]string{}
		n := 0
		for _, k := range keys {
			own, en := r.words.own(lang, k), r.words["en"][k]
			if own == "" || own == en && !same[en] {
				page, _, _ := strings.Cut(k, ".")
				missing[page] = append(missing[page], k)
				n++
			}
		}
		pct := 100 * float64(len(keys)-n) / float64(len(keys))
		t.Logf("%s: %d of %d texts (%.1f %%)", lang, len(keys)-n, len(keys), pct)
		for _, page := range slices.Sorted(maps.Keys(missing)) {
			t.Logf("%s: page %s lacks %d: %s", lang, page, len(missing[page]), strings.Join(missing[page], ", "))
		}
		if n > 0 {
			t.Errorf("%s lacks %d of %d texts (%.1f %%)", lang, n, len(keys), pct)
		}
	}
}

// sameAsEnglish is lang's reviewed list of texts that are the same as the
// English ones, one per line.
func sameAsEnglish(t *testing.T, lang string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	f, err := os.Open("testdata/same_as_english/" + lang + ".txt")
	if os.IsNotExist(err) {
		return out
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := sc.Text(); strings.TrimSpace(line) != "" && !strings.HasPrefix(line, "#") {
			out[line] = true
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(fmt.Errorf("read %s's list: %w", lang, err))
	}
	return out
}
