package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// authMiddleware requires the API token when one is configured. The WebSocket route also takes
// it as ?token=, because browsers cannot set headers on a WebSocket.
func (s *server) authMiddleware(c *gin.Context) {
	if s.token == "" {
		c.Next()
		return
	}
	if err := s.checkToken(c.Request, c.FullPath() == "/ws/events"); err != nil {
		c.Header("WWW-Authenticate", `Bearer realm="holdslayer"`)
		_ = c.Error(err)
		c.Abort()
		return
	}
	c.Next()
}

// protect wraps a plain handler (a mount outside gin's routing) with the same token check.
func (s *server) protect(h http.Handler) http.Handler {
	if s.token == "" {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.checkToken(r, false); err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="holdslayer"`)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"detail":"` + err.Error() + `"}`))
			return
		}
		h.ServeHTTP(w, r)
	})
}

func (s *server) checkToken(r *http.Request, allowQuery bool) error {
	got := ""
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return &httpError{status: http.StatusUnauthorized, detail: "authorization header must be: Bearer <token>"}
		}
		got = strings.TrimSpace(tok)
	} else if allowQuery {
		got = r.URL.Query().Get("token")
	}
	if got == "" {
		return &httpError{status: http.StatusUnauthorized, detail: "missing API token: send Authorization: Bearer <token>"}
	}
	if !tokenEqual(got, s.token) {
		return &httpError{status: http.StatusUnauthorized, detail: "invalid API token"}
	}
	return nil
}

// tokenEqual compares in constant time; hashing first hides the length of the real token too.
func tokenEqual(got, want string) bool {
	g := sha256.Sum256([]byte(got))
	w := sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}
