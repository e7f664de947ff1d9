package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/holdslayer/holdslayer/app"
)

// httpError is an error the API itself raises with the status and detail the client sees.
type httpError struct {
	status int
	detail string
}

func (e *httpError) Error() string { return e.detail }

// badRequest builds a 400 whose detail names the problem.
func badRequest(format string, args ...any) error {
	return &httpError{status: http.StatusBadRequest, detail: fmt.Sprintf(format, args...)}
}

// notFound builds a 404 whose detail names the missing thing.
func notFound(format string, args ...any) error {
	return &httpError{status: http.StatusNotFound, detail: fmt.Sprintf(format, args...)}
}

// conflict builds a 409 whose detail names the clash.
func conflict(format string, args ...any) error {
	return &httpError{status: http.StatusConflict, detail: fmt.Sprintf(format, args...)}
}

// sentinelStatus pairs each app sentinel with the status it becomes.
var sentinelStatus = []struct {
	err    error
	status int
}{
	{app.ErrInvalid, http.StatusBadRequest},
	{app.ErrNotFound, http.StatusNotFound},
	{app.ErrConflict, http.StatusConflict},
	{app.ErrForbidden, http.StatusForbidden},
	{app.ErrUnavailable, http.StatusServiceUnavailable},
}

// statusOf maps err to an HTTP status and the detail a client may see. Anything that is not a
// known client-facing error is a 500 with a generic detail (the cause is logged, not leaked).
func statusOf(err error) (int, string) {
	var he *httpError
	if errors.As(err, &he) {
		return he.status, err.Error() // keeps context added around it, e.g. the step it names
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return http.StatusRequestEntityTooLarge, fmt.Sprintf("request body too large: limit is %d bytes", mbe.Limit)
	}
	for _, s := range sentinelStatus {
		if errors.Is(err, s.err) {
			return s.status, detailOf(err, s.err)
		}
	}
	return http.StatusInternalServerError, "internal server error"
}

// detailOf drops the sentinel's own text from the end of err's message: "call not found: x:
// not found" reads "call not found: x".
func detailOf(err, sentinel error) string {
	msg := strings.TrimSuffix(err.Error(), ": "+sentinel.Error())
	if msg == "" {
		return sentinel.Error()
	}
	return msg
}

// handlerFunc is the shape of every API handler: it writes a success response or returns an
// error for errorHandler to map.
type handlerFunc func(c *gin.Context) error

// handle adapts a handlerFunc to gin, recording its error for errorMiddleware.
func handle(h handlerFunc) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := h(c); err != nil {
			_ = c.Error(err)
		}
	}
}

// errorMiddleware is the one place errors become responses: status plus {"detail": ...}.
func (s *server) errorMiddleware(c *gin.Context) {
	c.Next()
	if len(c.Errors) == 0 {
		return
	}
	err := c.Errors.Last().Err
	status, detail := statusOf(err)
	if status >= 500 && status != http.StatusServiceUnavailable {
		s.log.Error("request failed", "method", c.Request.Method, "route", c.FullPath(),
			"call_id", c.Param("call_id"), "err", err)
	} else {
		s.log.Debug("request refused", "method", c.Request.Method, "route", c.FullPath(),
			"status", status, "detail", detail)
	}
	if c.Writer.Written() {
		return
	}
	c.AbortWithStatusJSON(status, gin.H{"detail": detail})
}

// decodeJSON reads a JSON request body into v, turning every decoding failure into a 400 (or
// 413) whose detail says what is wrong and where.
func decodeJSON(c *gin.Context, v any) error {
	if c.Request.Body == nil {
		return badRequest("request body is required")
	}
	dec := json.NewDecoder(c.Request.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return badRequest("malformed JSON: unexpected data after the JSON object")
	}
	if _, err := dec.Token(); err != nil && !errors.Is(err, io.EOF) {
		return jsonError(err)
	}
	return nil
}

func jsonError(err error) error {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
		mbe *http.MaxBytesError
	)
	switch {
	case errors.As(err, &mbe):
		return err
	case errors.Is(err, io.EOF):
		return badRequest("request body is required")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("malformed JSON: unexpected end of input")
	case errors.As(err, &syn):
		return badRequest("malformed JSON at byte %d: %s", syn.Offset, syn.Error())
	case errors.As(err, &typ):
		if typ.Field == "" {
			return badRequest("request body must be a JSON object, got %s", typ.Value)
		}
		return badRequest("field %q must be %s, got %s", typ.Field, jsonKind(typ.Type.Kind().String()), typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return badRequest("unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	default:
		return badRequest("malformed JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
}

// jsonKind names a Go kind the way a JSON client thinks of it.
func jsonKind(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "slice", "array":
		return "an array"
	case "map", "struct":
		return "an object"
	case "float32", "float64":
		return "a number"
	case "ptr":
		return "a value"
	default:
		return "an integer"
	}
}
