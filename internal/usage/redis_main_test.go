package usage

import (
	"os"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/switchyard/switchyard/internal/redisx"
)

// TestMain routes go-redis's own per-dial log lines to Debug, as main does.
func TestMain(m *testing.M) {
	redis.SetLogger(redisx.LibraryLogger{})
	os.Exit(m.Run())
}
