package mcpserver

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Wait limits of wait_for_call_event.
const (
	defaultWait = 600 * time.Second
	maxWait     = 3600 * time.Second
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// terminalEvents end any wait: the call is over.
var terminalEvents = []string{"call_ended", "call_failed"}

// waitForEvent blocks until a chosen event, the call's end or the timeout. The REST timeline
// check validates the arguments with the API's own words and answers at once for an event
// already past; the event source then subscribes before it replays the store, so an event
// landing between the two is not missed.
func (s *service) waitForEvent(ctx context.Context, req *mcp.CallToolRequest, in WaitInput) (*mcp.CallToolResult, WaitResult, error) {
	if in.CallID == "" {
		return nil, WaitResult{}, errRequired("call_id")
	}
	timeout := defaultWait
	if in.TimeoutSeconds != 0 {
		if in.TimeoutSeconds < 1 || in.TimeoutSeconds > maxWait.Seconds() {
			return nil, WaitResult{}, &APIError{Status: http.StatusBadRequest,
				Detail: fmt.Sprintf("field \"timeout_seconds\" must be between 1 and %d, got %g", int(maxWait.Seconds()), in.TimeoutSeconds)}
		}
		timeout = time.Duration(in.TimeoutSeconds * float64(time.Second))
	}
	if in.AfterSeq < 0 {
		return nil, WaitResult{}, &APIError{Status: http.StatusBadRequest, Detail: fmt.Sprintf("field \"after_seq\" must not be negative, got %d", in.AfterSeq)}
	}
	types := in.EventTypes
	if len(types) == 0 {
		types = []string{"human_detected"}
	}
	start := time.Now()

	past, err := s.timeline(ctx, in.CallID, types, in.AfterSeq)
	if err != nil {
		return nil, WaitResult{}, err
	}
	if len(past.Events) > 0 {
		ev := past.Events[0]
		return nil, s.result(ctx, in.CallID, "event", &ev, "", start, ev.Seq), nil
	}

	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	events := make(chan Event, 64)
	errc := make(chan error, 1)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		errc <- s.events.stream(wctx, in.CallID, in.AfterSeq, events)
	}()
	defer wg.Wait()
	defer cancel()

	status := ""
	if st, err := s.callStatus(ctx, in.CallID); err == nil {
		status = st.Status
	}
	last := in.AfterSeq
	tick := time.NewTicker(s.progress)
	defer tick.Stop()
	var n float64
	notify := func(msg string) {
		tok := req.Params.GetProgressToken()
		if tok == nil || req.Session == nil {
			return
		}
		n++
		err := req.Session.NotifyProgress(ctx, &mcp.ProgressNotificationParams{ProgressToken: tok, Progress: n,
			Message: fmt.Sprintf("%s (waited %ds of %ds)", msg, int(time.Since(start).Seconds()), int(timeout.Seconds()))})
		if err != nil {
			s.log.Debug("mcp progress notification", "call_id", in.CallID, "err", err)
		}
	}
	for {
		select {
		case ev := <-events:
			if ev.Seq > last {
				last = ev.Seq
			}
			switch {
			case slices.Contains(types, ev.Type):
				return nil, s.result(ctx, in.CallID, "event", &ev, status, start, last), nil
			case slices.Contains(terminalEvents, ev.Type):
				return nil, s.result(ctx, in.CallID, "call_ended", &ev, status, start, last), nil
			case ev.Type == "status_changed":
				if st, ok := ev.Data["status"].(string); ok {
					status = st
					notify("call is " + st)
				}
			}
		case <-tick.C:
			notify("still waiting; call is " + status)
		case err := <-errc:
			if ctx.Err() != nil {
				return nil, WaitResult{}, fmt.Errorf("wait cancelled: %w", ctx.Err())
			}
			if wctx.Err() != nil {
				return nil, s.result(ctx, in.CallID, "timeout", nil, status, start, last), nil
			}
			return nil, WaitResult{}, toolError(fmt.Errorf("event stream of %s: %w", in.CallID, err))
		case <-wctx.Done():
			if ctx.Err() != nil {
				return nil, WaitResult{}, fmt.Errorf("wait cancelled: %w", ctx.Err())
			}
			return nil, s.result(ctx, in.CallID, "timeout", nil, status, start, last), nil
		}
	}
}

// result fills the answer, reading the call's status afresh when it can.
func (s *service) result(ctx context.Context, id, outcome string, ev *Event, status string, start time.Time, last int64) WaitResult {
	if st, err := s.callStatus(context.WithoutCancel(ctx), id); err == nil {
		status = st.Status
	}
	return WaitResult{Outcome: outcome, Event: ev, Status: status,
		WaitedSeconds: float64(time.Since(start).Milliseconds()) / 1000, LastSeq: last}
}
