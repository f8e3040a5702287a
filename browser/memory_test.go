package browser

import (
	"os"
	"testing"
)

func TestTreeMemoryOfThisProcess(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	if n := treeMemory(os.Getpid()); n < 1<<20 || n > 1<<40 {
		t.Errorf("got %d bytes for this process, want a plausible size", n)
	}
	if n := treeMemory(0); n != 0 {
		t.Errorf("got %d bytes for pid 0, want 0", n)
	}
}
