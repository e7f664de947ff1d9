package mcpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// APIError is a refusal from the REST API: its status and the {"detail"} text, which becomes
// the tool error text unchanged so an assistant reads what a REST client would.
type APIError struct {
	Status int
	Detail string
}

func (e *APIError) Error() string { return e.Detail }

// restClient calls the Hold Slayer REST API, over the network or in-process.
type restClient struct {
	base  string // e.g. http://127.0.0.1:8000, no trailing slash
	token string
	http  *http.Client
}

// maxResponse bounds how much of one API answer is read.
const maxResponse = 8 << 20

// do sends method path with body as JSON (nil for none) and decodes a 2xx answer into out
// (nil to discard). A non-2xx answer becomes an *APIError carrying the API's detail.
func (c *restClient) do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	u := c.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("encode %s %s request: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return fmt.Errorf("build %s %s request: %w", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("hold slayer api %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return fmt.Errorf("read %s %s answer: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		var e struct {
			Detail string `json:"detail"`
		}
		if json.Unmarshal(data, &e) != nil || e.Detail == "" {
			e.Detail = strings.TrimSpace(string(data))
			if e.Detail == "" {
				e.Detail = http.StatusText(resp.StatusCode)
			}
		}
		return &APIError{Status: resp.StatusCode, Detail: e.Detail}
	}
	if out == nil || len(data) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decode %s %s answer: %w", method, path, err)
	}
	return nil
}

// callPath builds /api/calls/{id}/suffix with the id escaped.
func callPath(id, suffix string) string {
	p := "/api/calls/" + url.PathEscape(id)
	if suffix != "" {
		p += "/" + suffix
	}
	return p
}

// isStatus reports whether err is an API refusal with that status.
func isStatus(err error, status int) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == status
}
