package mcpserver

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Resource URI templates of a call.
const (
	TranscriptURITemplate = "holdslayer://calls/{call_id}/transcript"
	TimelineURITemplate   = "holdslayer://calls/{call_id}/timeline"
)

var callResourceURI = regexp.MustCompile(`^holdslayer://calls/([^/?#]+)/(transcript|timeline)$`)

func (s *service) addResources(srv *mcp.Server) {
	srv.AddResourceTemplate(&mcp.ResourceTemplate{Name: "call-transcript", Title: "Call transcript",
		URITemplate: TranscriptURITemplate, MIMEType: "text/plain",
		Description: "What was said on a call so far, one 'speaker: text' line per final utterance."}, s.readCallResource)
	srv.AddResourceTemplate(&mcp.ResourceTemplate{Name: "call-timeline", Title: "Call timeline",
		URITemplate: TimelineURITemplate, MIMEType: "application/json",
		Description: "Every event of a call so far (status changes, menu steps, keys sent, audio classes, hold and human detection), oldest first, as JSON."}, s.readCallResource)
}

func (s *service) readCallResource(ctx context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
	uri := req.Params.URI
	m := callResourceURI.FindStringSubmatch(uri)
	if m == nil {
		return nil, mcp.ResourceNotFoundError(uri)
	}
	id, kind := m[1], m[2]
	switch kind {
	case "transcript":
		t, err := s.transcript(ctx, id)
		if isStatus(err, http.StatusNotFound) {
			return nil, mcp.ResourceNotFoundError(uri)
		}
		if err != nil {
			return nil, fmt.Errorf("read transcript of %s: %w", id, err)
		}
		return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: uri, MIMEType: "text/plain", Text: t.Text}}}, nil
	default:
		tl, err := s.timeline(ctx, id, nil, 0)
		if isStatus(err, http.StatusNotFound) {
			return nil, mcp.ResourceNotFoundError(uri)
		}
		if err != nil {
			return nil, fmt.Errorf("read timeline of %s: %w", id, err)
		}
		b, err := json.Marshal(tl)
		if err != nil {
			return nil, fmt.Errorf("encode timeline of %s: %w", id, err)
		}
		return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: uri, MIMEType: "application/json", Text: string(b)}}}, nil
	}
}
