package connectors

import (
	"fmt"
	"strings"
	"testing"
)

// A grant never prints its credentials, however it is formatted.
func TestGrantHidesItsData(t *testing.T) {
	g := Grant{Data: []byte(`{"refresh_token":"secret-rt"}`), Scopes: []string{"ea:api"}}
	for _, s := range []string{fmt.Sprint(g), fmt.Sprintf("%v %+v %#v %s", g, g, g, g), g.LogValue().String()} {
		if strings.Contains(s, "secret-rt") {
			t.Errorf("formatted grant shows its data: %s", s)
		}
	}
}
