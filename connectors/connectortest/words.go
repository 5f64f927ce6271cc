package connectortest

import (
	"embed"
	"io/fs"
)

//go:embed words
var words embed.FS

// Words are the fake connector's own words for Bilag's pages (its key
// form's fields), handed to the views as a real connector's are.
func Words() fs.FS { return words }
