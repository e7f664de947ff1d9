package ari

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/holdslayer/holdslayer/app"
)

// fetchTimeout bounds downloading one stored recording (files of an hour are ~60 MB).
const fetchTimeout = 2 * time.Minute

// fetchRecording streams /recordings/stored/{name}/file into w. The library has no call for the
// file itself, so this is a plain authenticated GET that honours ctx.
func (a *Adapter) fetchRecording(ctx context.Context, name string, w io.Writer) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	u := a.opts.URL + "/recordings/stored/" + url.PathEscape(name) + "/file"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, fmt.Errorf("fetch recording %s: %w", name, err)
	}
	req.SetBasicAuth(a.opts.User, a.opts.Password)
	resp, err := a.http.Do(req)
	if err != nil {
		return 0, &RequestError{Op: "fetch recording " + name, Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		re := &RequestError{Op: "fetch recording " + name, Status: resp.StatusCode, Err: fmt.Errorf("%s", resp.Status)}
		if resp.StatusCode == http.StatusNotFound {
			return 0, fmt.Errorf("%w: %w", re, app.ErrNotFound)
		}
		return 0, re
	}
	n, err := io.Copy(w, resp.Body)
	if err != nil {
		return n, fmt.Errorf("fetch recording %s: copy: %w", name, err)
	}
	return n, nil
}

// rawPost sends a POST with query parameters and no body, for the one call the library builds
// in a form some ARI servers lack (snoop with the id in the path); ctx-aware and time-bounded.
func (a *Adapter) rawPost(ctx context.Context, op, path string, q url.Values) error {
	ctx, cancel := context.WithTimeout(ctx, a.opts.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.opts.URL+path+"?"+q.Encode(), nil)
	if err != nil {
		return fmt.Errorf("ari %s: %w", op, err)
	}
	req.SetBasicAuth(a.opts.User, a.opts.Password)
	resp, err := a.http.Do(req)
	if err != nil {
		return &RequestError{Op: op, Err: err}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 != 2 {
		return &RequestError{Op: op, Status: resp.StatusCode, Err: fmt.Errorf("%s: %s", resp.Status, body)}
	}
	return nil
}
