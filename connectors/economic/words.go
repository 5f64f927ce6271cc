package economic

import (
	"embed"
	"io/fs"
)

//go:embed words
var words embed.FS

// Words are Visma e-conomic's own words for Bilag's pages, handed to the
// views by the registry (views.Options.Connectors): words/<lang>.json, its
// wording of the pages' texts and its name as people know it, and
// words/consent.html, its blocks of the consent, result, key form and
// company pages.
func Words() fs.FS { return words }
