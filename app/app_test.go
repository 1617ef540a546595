package app

import (
	"context"
	"strings"
	"testing"
)

// An App has no mode with a missing dependency: New refuses to build one, so a wiring mistake
// shows at start-up instead of as a skipped audit or limit at request time.
func TestNewRefusesMissingDependencies(t *testing.T) {
	_, err := New(context.Background(), Options{})
	if err == nil || !strings.Contains(err.Error(), "required") {
		t.Fatalf("New with no dependencies: err = %v, want a 'required' error", err)
	}
}
