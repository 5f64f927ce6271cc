// Package economicexport holds the words of the Visma e-conomic export, the
// receiving connector "economic-export" (package economic, Export): its
// wording of the pages' texts, its pairing tables and pre-flight findings,
// and its blocks of the consent and result pages, in every language. The
// directory is named after the connector so that the views' tests find its
// words as every connector's (connectors/<name>/words).
package economicexport

import (
	"embed"
	"io/fs"
)

//go:embed words
var words embed.FS

// Words are the export's own words for Bilag's pages, handed to the views
// by the registry: words/<lang>.json and words/consent.html.
func Words() fs.FS { return words }
