package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"bilag/db"
	"bilag/db/seal"
	"bilag/server/password"
)

func TestUserAdd(t *testing.T) {
	dir := t.TempDir()
	key := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	t.Setenv("BILAG_DATA_DIR", dir)
	t.Setenv("BILAG_SECRET_KEY", key)
	ctx := context.Background()

	var out, errb bytes.Buffer
	code := run(ctx, []string{"user", "add", "--email", "Ann@Firm.test", "--name", "Ann Analys", "--role", "analyst"}, strings.NewReader("a-long-enough-password\n"), &out, &errb)
	if code != 0 {
		t.Fatalf("user add = %d, stderr %q", code, errb.String())
	}
	if strings.Contains(out.String(), "a-long-enough-password") {
		t.Error("user add printed the password it was given")
	}
	// A generated password is printed once.
	out.Reset()
	if code := run(ctx, []string{"user", "add", "--email", "v@firm.test", "--name", "V", "--role", "viewer"}, strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("user add with a generated password = %d, %q", code, errb.String())
	}
	if !strings.Contains(out.String(), "password: ") {
		t.Errorf("user add did not print the generated password: %q", out.String())
	}
	generated := strings.TrimSpace(out.String()[strings.Index(out.String(), "password: ")+len("password: "):])

	tests := []struct {
		name string
		args []string
		in   string
		want string
	}{
		{"duplicate", []string{"user", "add", "--email", "ann@firm.test", "--name", "X", "--role", "viewer"}, "another-long-password\n", "already exists"},
		{"bad role", []string{"user", "add", "--email", "x@firm.test", "--name", "X", "--role", "boss"}, "", "--role must be"},
		{"short password", []string{"user", "add", "--email", "y@firm.test", "--name", "Y", "--role", "viewer"}, "short\n", "at least 12"},
		{"common password", []string{"user", "add", "--email", "c@firm.test", "--name", "C", "--role", "viewer"}, "password1234\n", "common"},
		{"own name", []string{"user", "add", "--email", "n@firm.test", "--name", "Yngve Ytterberg", "--role", "viewer"}, "ytterberg forever\n", "name"},
		{"missing name", []string{"user", "add", "--email", "z@firm.test", "--role", "viewer"}, "", "--email and --name are required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var o, e bytes.Buffer
			if code := run(ctx, tt.args, strings.NewReader(tt.in), &o, &e); code == 0 || !strings.Contains(e.String(), tt.want) {
				t.Errorf("run(%v) = %d, stderr %q, want failure with %q", tt.args, code, e.String(), tt.want)
			}
		})
	}

	keys, _ := seal.NewKeyring(bytes.Repeat([]byte{7}, 32))
	d, err := db.Open(ctx, "sqlite://"+filepath.Join(dir, "bilag.db"), db.Options{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	u, err := d.UserByEmail(ctx, "ann@firm.test")
	if err != nil || u.Role != db.RoleAnalyst || !u.Active {
		t.Fatalf("stored user = %+v, %v", u, err)
	}
	if ok, _ := password.Verify(u.PasswordHash, "a-long-enough-password"); !ok {
		t.Error("the stored hash does not verify the password from stdin")
	}
	v, _ := d.UserByEmail(ctx, "v@firm.test")
	if ok, _ := password.Verify(v.PasswordHash, generated); !ok {
		t.Error("the printed password does not log in")
	}
}

func TestHealthcheck(t *testing.T) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
		}
	}))
	defer ok.Close()
	addr := ok.Listener.Addr().String()
	var o, e bytes.Buffer
	if code := run(context.Background(), []string{"healthcheck", "--addr", addr}, nil, &o, &e); code != 0 {
		t.Errorf("healthcheck of a healthy server = %d, %q", code, e.String())
	}
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := l.Addr().String()
	l.Close()
	if code := run(context.Background(), []string{"healthcheck", "--addr", dead}, nil, &o, &e); code == 0 {
		t.Error("healthcheck of nothing = 0, want failure")
	}
}

func TestUnknownCommand(t *testing.T) {
	var o, e bytes.Buffer
	if code := run(context.Background(), []string{"frobnicate"}, nil, &o, &e); code != 2 || !strings.Contains(e.String(), "unknown command") {
		t.Errorf("unknown command = %d, %q", code, e.String())
	}
}
