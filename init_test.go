package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// initBudget is what one of Bilag's own packages may allocate before main
// runs: a few sentinel errors and small literal tables, not a compiled
// expression, a parsed template or a loaded zone.
const initBudget = 2 << 10

// TestNothingHeavyAtStart (issue 25 item 21): every command, "bilag
// version" too, pays for what its packages do at init, so Bilag's own do
// their work when first used. The runtime's own trace of this binary's
// start (the test binary links the same packages) says what each package
// allocated at init.
func TestNothingHeavyAtStart(t *testing.T) {
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("run %s with inittrace: %v\n%s", os.Args[0], err, out)
	}
	// A line of the trace: a package's init, its clock time, and what it
	// allocated. (Compiled here: a package-level variable of this file
	// would count against package main.)
	initLine := regexp.MustCompile(`^init (\S+) @\S+ ms, \S+ ms clock, (\d+) bytes, (\d+) allocs$`)
	seen := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		m := initLine.FindStringSubmatch(sc.Text())
		if m == nil || m[1] != "bilag" && !strings.HasPrefix(m[1], "bilag/") {
			continue
		}
		seen++
		if n, _ := strconv.Atoi(m[2]); n > initBudget {
			t.Errorf("package %s allocates %d bytes (%s allocations) at init, more than %d: make it lazy (sync.OnceValue, or build it where it is used)", m[1], n, m[3], initBudget)
		}
	}
	if seen == 0 {
		t.Fatalf("inittrace named none of Bilag's packages:\n%s", out)
	}
}
