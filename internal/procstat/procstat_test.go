package procstat

import (
	"os"
	"testing"
)

func TestParseReadsTheParentAndTheCPUOfTheProcessAndItsReapedChildren(t *testing.T) {
	// pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime ...
	raw := "4242 (uvicorn: (worker) 1) S 4200 4200 4200 0 -1 4194560 100 0 0 0 150 50 30 20 20 0 3 0 1000 1000000 2000\n"
	st, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if st.PPID != 4200 || st.CPU != 250*ClockTick {
		t.Fatalf("Parse = %+v, want parent 4200 and (150+50+30+20) ticks", st)
	}
	for _, bad := range []string{"", "4242 no parentheses", "4242 (x) S 1 2 3", "4242 (x) S one 1 1 0 -1 0 0 0 0 0 1 1 1 1"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

func TestKiBReadsTheNamedLineOnly(t *testing.T) {
	text := "Rss:     900 kB\nPss:      400 kB\nPss_Anon:  300 kB\n"
	if got := KiB(text, "Pss:"); got != 400 {
		t.Fatalf("KiB(Pss:) = %d, want 400", got)
	}
	if got := KiB(text, "VmRSS:"); got != 0 {
		t.Fatalf("KiB of a missing key = %d, want 0", got)
	}
}

// Read finds this very process, whose parent is the one that started the test.
func TestReadFindsThisProcess(t *testing.T) {
	st, err := Read(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if st.PPID != os.Getppid() {
		t.Fatalf("Read(self) = %+v, want parent %d", st, os.Getppid())
	}
	if _, err := Read(-1); err == nil {
		t.Fatal("Read(-1) found a process")
	}
}
