package connectortest

import (
	"os"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	vconfig "github.com/pb33f/libopenapi-validator/config"
)

// OpenAPI loads the OpenAPI document at path (a test-data copy of an
// upstream's spec that a sandbox's answers are checked against), read and
// compiled once however many tests ask for it.
func OpenAPI(path string) func(testing.TB) validator.Validator {
	load := sync.OnceValues(func() (validator.Validator, error) {
		raw, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		doc, err := libopenapi.NewDocument(raw)
		if err != nil {
			return nil, err
		}
		v, errs := validator.NewValidator(doc, vconfig.WithFormatAssertions())
		if len(errs) > 0 {
			return nil, errs[0]
		}
		return v, nil
	})
	return func(t testing.TB) validator.Validator {
		t.Helper()
		v, err := load()
		if err != nil {
			t.Fatalf("load %s: %v", path, err)
		}
		return v
	}
}
