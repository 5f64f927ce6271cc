package netvisor

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"bilag/connectors"
	"bilag/connectors/netvisor/sandbox"
)

func TestConnectValidatesEveryListResource(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	g := e.grant(t)
	if strings.Contains(g.String(), sandbox.DemoCustomer().Key) {
		t.Error("the grant prints the customer key")
	}
	for _, r := range []string{"accountingledger.nv", "purchaseinvoicelist.nv", "salesinvoicelist.nv"} {
		if n := e.sb.Calls(r); n != 1 {
			t.Errorf("Connect called %s %d times, want 1", r, n)
		}
	}
	v, err := e.conn.Check(context.Background(), g)
	if err != nil || !v.OK() {
		t.Fatalf("Check() = %+v, %v", v, err)
	}
	if v.Company.OrgNumber != sandbox.DemoOrgID || v.Company.Country != "FI" {
		t.Errorf("Check() company = %+v", v.Company)
	}
}

func TestConnectRefusals(t *testing.T) {
	t.Parallel()
	dc := sandbox.DemoCustomer()
	tests := []struct {
		name   string
		edit   func(e *testEnv, v map[string]string)
		field  string
		code   string
		called bool
	}{
		{"wrong key", func(e *testEnv, v map[string]string) { v[FieldCustomerKey] = "not-the-key" }, FieldCustomerKey, FormKeys, true},
		{"unknown user", func(e *testEnv, v map[string]string) { v[FieldCustomerID] = "NOBODY" }, FieldCustomerKey, FormKeys, true},
		{"withdrawn keys", func(e *testEnv, v map[string]string) { e.sb.Withdraw(dc.ID) }, FieldCustomerKey, FormKeys, true},
		{"business id the keys do not reach", func(e *testEnv, v map[string]string) { v[FieldBusinessID] = sandbox.OtherOrgID }, FieldBusinessID, FormBusinessID, true},
		{"business id that is no Y-tunnus", func(e *testEnv, v map[string]string) { v[FieldBusinessID] = "1234567-8" }, FieldBusinessID, FormBusinessIDInvalid, false},
		{"package without the API", func(e *testEnv, v map[string]string) { e.sb.SetNoAPI(sandbox.DemoOrgID, true) }, "", FormNoAPI, true},
		{"resource not allowed", func(e *testEnv, v map[string]string) { e.sb.Deny(dc.ID, "salesinvoicelist.nv") }, "", FormResource, true},
		{"host not on the list", func(e *testEnv, v map[string]string) { v[FieldHost] = "https://evil.example" }, FieldHost, FormHost, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			v := e.values()
			tc.edit(e, v)
			g, err := e.conn.Connect(context.Background(), v)
			fe, ok := errors.AsType[*connectors.FormError](err)
			if !ok {
				t.Fatalf("Connect() = %v, want a FormError", err)
			}
			if fe.Field != tc.field || fe.Code != tc.code {
				t.Errorf("FormError = %+v, want field %q code %q", fe, tc.field, tc.code)
			}
			if g.Data != nil {
				t.Error("a refused Connect returned grant data")
			}
			if strings.Contains(err.Error(), dc.Key) {
				t.Errorf("error %q quotes the customer key", err)
			}
			if !tc.called && e.sb.Calls("accountingledger.nv") != 0 {
				t.Error("a value refused before any call reached Netvisor")
			}
		})
	}
}

// A wrong partner key is Netvisor's AUTHENTICATION_FAILED with the string
// it expected, keys masked, which the connector logs for whoever debugs it.
func TestWrongMACIsLoggedWithTheExpectedString(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var logs bytes.Buffer
	cfg := e.cfg
	cfg.PartnerKey = "wrong-partner-key"
	c, err := cfg.Open(slog.New(slog.NewTextHandler(&logs, nil)), e.srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Connect(context.Background(), e.values())
	if fe, ok := errors.AsType[*connectors.FormError](err); !ok || fe.Code != FormKeys {
		t.Fatalf("Connect() = %v, want FormError keys", err)
	}
	got := logs.String()
	if !strings.Contains(got, "Use the following string to calculate the MAC: "+e.srv.URL+"/accountingledger.nv?startdate=") ||
		!strings.Contains(got, "YOUR_CUSTOMER_KEY_HERE") {
		t.Errorf("log lacks the expected MAC string:\n%s", got)
	}
	for _, secret := range []string{sandbox.DemoCustomer().Key, "wrong-partner-key", sandbox.DefaultPartnerKey} {
		if strings.Contains(got, secret) {
			t.Errorf("log shows the secret %q", secret)
		}
	}
}

func TestFieldsOfferConfiguredHostsAndTheCompanysNumber(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var host, biz connectors.Field
	for _, f := range e.conn.Fields() {
		switch f.Name {
		case FieldHost:
			host = f
		case FieldBusinessID:
			biz = f
		case FieldCustomerKey:
			if !f.Secret {
				t.Error("the customer key is not a secret field")
			}
		}
	}
	if len(host.Choices) != 2 || host.Choices[0] != e.srv.URL {
		t.Errorf("host choices = %q", host.Choices)
	}
	if !biz.FromCompany {
		t.Error("the business id is not the company's")
	}
}

// Check finds what an approver can fix as problems, and withdrawn keys as
// the grant revoked.
func TestCheckProblems(t *testing.T) {
	t.Parallel()
	dc := sandbox.DemoCustomer()
	for _, tc := range []struct {
		name string
		edit func(e *testEnv)
		code connectors.ProblemCode
		area string
	}{
		{"ledger not allowed", func(e *testEnv) { e.sb.Deny(dc.ID, "accountingledger.nv") }, connectors.ProblemPermission, "vouchers"},
		{"package without the API", func(e *testEnv) { e.sb.SetNoAPI(sandbox.DemoOrgID, true) }, connectors.ProblemNoBookkeeping, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			g := e.grant(t)
			tc.edit(e)
			v, err := e.conn.Check(context.Background(), g)
			if err != nil || len(v.Problems) != 1 || v.Problems[0].Code != tc.code || v.Problems[0].Area != tc.area {
				t.Errorf("Check() = %+v, %v; want problem %s in %q", v, err, tc.code, tc.area)
			}
		})
	}
	e := newEnv(t)
	g := e.grant(t)
	e.sb.Withdraw(dc.ID)
	if _, err := e.conn.Check(context.Background(), g); !errors.Is(err, connectors.ErrGrantRevoked) {
		t.Errorf("Check() with withdrawn keys = %v, want the grant revoked", err)
	}
}
