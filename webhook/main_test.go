package webhook

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if a test leaves goroutines behind (servers,
// handlers or client connections that were not shut down).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
