package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

// healthz says the process is up; it checks nothing else so a supervisor never restarts a
// healthy process for a database hiccup.
func (s *server) healthz(c *gin.Context) error {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
	return nil
}

// readyz says whether the service can do its job: the database answers and a telephony
// backend is connected. 503 names the part that is not ready.
func (s *server) readyz(c *gin.Context) error {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	checks := gin.H{"database": "ok", "telephony": "ok"}
	ready := true
	if err := s.store.Ping(ctx); err != nil {
		s.log.Warn("readiness: database ping failed", "err", err)
		checks["database"] = "unreachable"
		ready = false
	}
	if !s.calls.Ready() {
		checks["telephony"] = "no telephony backend connected"
		ready = false
	}
	if ready {
		c.JSON(http.StatusOK, gin.H{"status": "ready", "checks": checks})
		return nil
	}
	var parts []string
	for _, k := range []string{"database", "telephony"} {
		if checks[k] != "ok" {
			parts = append(parts, k+": "+checks[k].(string))
		}
	}
	c.JSON(http.StatusServiceUnavailable, gin.H{"status": "not_ready", "checks": checks,
		"detail": "not ready: " + strings.Join(parts, "; ")})
	return nil
}
