package server

import "testing"

// TestGenitive: a company's name as the owner of its books, by each
// language's rules. Finnish is never inflected: its message names the
// company on a line of its own.
func TestGenitive(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ lang, name, want string }{
		{"sv", "Fjällbacka Snickeri AB", "Fjällbacka Snickeri AB:s"},
		{"sv", "Norrsken Design", "Norrsken Designs"},
		{"sv", "Hans", "Hans"},
		{"en", "Fjordsag AS", "Fjordsag AS's"},
		{"da", "Firmaet", "Firmaets"},
		{"da", "Hansen", "Hansens"},
		{"da", "Skagen Tømrer ApS", "Skagen Tømrer ApS'"},
		{"da", "Novo Nordisk A/S", "Novo Nordisk A/S'"},
		{"da", "Marx", "Marx'"},
		{"da", "Ritz", "Ritz'"},
		{"da", "Bager Jensen I/S", "Bager Jensen I/S'"},
		{"da", "DSB", "DSBs"},
		{"nb", "Bakeriet", "Bakeriets"},
		{"nb", "Hansen", "Hansens"},
		{"nb", "Fjordsag AS", "Fjordsag AS'"},
		{"nb", "Nordlys ASA", "Nordlys ASAs"},
		{"nb", "Saimaan Puu Oy", "Saimaan Puu Oys"},
		{"nb", "Fix", "Fix'"},
		{"nb", "Kvartz", "Kvartz'"},
		{"fi", "Saimaan Puu Oy", "Saimaan Puu Oy"},
		{"fi", "Fjordsag AS", "Fjordsag AS"},
	} {
		if got := genitive(tc.lang, tc.name); got != tc.want {
			t.Errorf("genitive(%s, %q) = %q, want %q", tc.lang, tc.name, got, tc.want)
		}
	}
}
