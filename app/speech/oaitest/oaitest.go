// Package oaitest is an OpenAI-compatible fake server on httptest for tests of the speech
// and navigator packages and of the engine: it records and checks what it receives (model,
// tools schema, messages, the uploaded audio's format) and answers from a script of
// chat-completion tool calls, transcripts, synthesized audio and HTTP failures.
package oaitest

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// ToolCall is one scripted function call in a chat-completion answer. Args is sent verbatim,
// so a test can script malformed JSON.
type ToolCall struct {
	Name string
	Args string
}

// Reply is one scripted answer. Status other than 0/200 answers with an OpenAI-style error
// body (and RetryAfter, if set, as a Retry-After header). Delay holds the answer back, for
// timeout tests.
type Reply struct {
	Status     int
	RetryAfter string
	Delay      time.Duration
	// Chat completions.
	Content   string
	ToolCalls []ToolCall
	// Transcriptions.
	Text string
	// Speech: the bytes returned as the audio body.
	Audio       []byte
	ContentType string
}

// WAVInfo is the format of an uploaded WAV file as the server parsed it.
type WAVInfo struct {
	Format     int // 1 = PCM
	Channels   int
	Rate       int
	Bits       int
	DataBytes  int
	FileName   string
	HeaderOK   bool
	ParseError string
}

// Request is what the server received, for the test to check.
type Request struct {
	Path   string
	Auth   string
	Model  string
	Fields map[string]string // multipart form fields (transcriptions)
	WAV    *WAVInfo          // the uploaded file (transcriptions)
	// Chat completions: the decoded JSON body.
	Body     map[string]any
	Tools    []any
	Messages []map[string]any
}

// Server is the fake. Each endpoint has its own queue of replies; when a queue is empty the
// server answers 500 with "script exhausted", which makes a runaway loop fail loudly.
type Server struct {
	*httptest.Server
	mu       sync.Mutex
	chat     []Reply
	stt      []Reply
	tts      []Reply
	requests []Request
	// Check, when set, is called with every request before it is answered; a non-empty
	// result is returned to the client as a 400 error, so format mistakes surface as errors.
	Check func(Request) string
}

// New starts a fake server; it is closed when the test ends.
func New(t interface{ Cleanup(func()) }) *Server {
	s := &Server{}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// BaseURL is the URL to configure clients with (it ends in /v1/).
func (s *Server) BaseURL() string { return s.URL + "/v1/" }

// ScriptChat appends chat-completion replies.
func (s *Server) ScriptChat(r ...Reply) { s.mu.Lock(); s.chat = append(s.chat, r...); s.mu.Unlock() }

// ScriptSTT appends transcription replies.
func (s *Server) ScriptSTT(r ...Reply) { s.mu.Lock(); s.stt = append(s.stt, r...); s.mu.Unlock() }

// ScriptTTS appends speech replies.
func (s *Server) ScriptTTS(r ...Reply) { s.mu.Lock(); s.tts = append(s.tts, r...); s.mu.Unlock() }

// Requests returns a copy of everything received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

func (s *Server) next(q *[]Reply) (Reply, bool) {
	if len(*q) == 0 {
		return Reply{}, false
	}
	r := (*q)[0]
	*q = (*q)[1:]
	return r, true
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	req := Request{Path: r.URL.Path, Auth: r.Header.Get("Authorization")}
	var queue *[]Reply
	switch {
	case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/chat/completions"):
		queue = &s.chat
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			writeError(w, 400, "invalid json body: "+err.Error())
			return
		}
		req.Body = body
		req.Model, _ = body["model"].(string)
		req.Tools, _ = body["tools"].([]any)
		if msgs, ok := body["messages"].([]any); ok {
			for _, m := range msgs {
				if mm, ok := m.(map[string]any); ok {
					req.Messages = append(req.Messages, mm)
				}
			}
		}
	case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/audio/transcriptions"):
		queue = &s.stt
		if err := r.ParseMultipartForm(32 << 20); err != nil {
			writeError(w, 400, "invalid multipart body: "+err.Error())
			return
		}
		req.Fields = map[string]string{}
		for k, v := range r.MultipartForm.Value {
			req.Fields[k] = strings.Join(v, ",")
		}
		req.Model = req.Fields["model"]
		if f, h, err := r.FormFile("file"); err == nil {
			b, _ := io.ReadAll(f)
			info := parseWAV(b)
			info.FileName = h.Filename
			req.WAV = &info
		}
	case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/audio/speech"):
		queue = &s.tts
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			writeError(w, 400, "invalid json body: "+err.Error())
			return
		}
		req.Body = body
		req.Model, _ = body["model"].(string)
	default:
		writeError(w, 404, "no such endpoint "+r.URL.Path)
		return
	}
	s.mu.Lock()
	s.requests = append(s.requests, req)
	check := s.Check
	reply, ok := s.next(queue)
	s.mu.Unlock()
	if check != nil {
		if msg := check(req); msg != "" {
			writeError(w, 400, msg)
			return
		}
	}
	if !ok {
		writeError(w, 500, "script exhausted")
		return
	}
	if reply.Delay > 0 {
		select {
		case <-time.After(reply.Delay):
		case <-r.Context().Done():
			return
		}
	}
	if reply.Status != 0 && reply.Status != 200 {
		if reply.RetryAfter != "" {
			w.Header().Set("Retry-After", reply.RetryAfter)
		}
		writeError(w, reply.Status, http.StatusText(reply.Status))
		return
	}
	switch queue {
	case &s.chat:
		writeChat(w, req.Model, reply)
	case &s.stt:
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"text": reply.Text})
	default:
		ct := reply.ContentType
		if ct == "" {
			ct = "audio/wav"
		}
		w.Header().Set("Content-Type", ct)
		_, _ = w.Write(reply.Audio)
	}
}

var callSeq struct {
	sync.Mutex
	n int
}

func writeChat(w http.ResponseWriter, model string, r Reply) {
	msg := map[string]any{"role": "assistant", "content": r.Content}
	finish := "stop"
	if len(r.ToolCalls) > 0 {
		var calls []any
		for _, tc := range r.ToolCalls {
			callSeq.Lock()
			callSeq.n++
			id := fmt.Sprintf("call_%d", callSeq.n)
			callSeq.Unlock()
			calls = append(calls, map[string]any{
				"id": id, "type": "function",
				"function": map[string]any{"name": tc.Name, "arguments": tc.Args},
			})
		}
		msg["tool_calls"] = calls
		msg["content"] = nil
		finish = "tool_calls"
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"id": "chatcmpl-fake", "object": "chat.completion", "created": time.Now().Unix(), "model": model,
		"choices": []any{map[string]any{"index": 0, "message": msg, "finish_reason": finish}},
	})
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": msg, "type": "fake_error"}})
}

// parseWAV reads the fmt and data chunks of a RIFF/WAVE file.
func parseWAV(b []byte) WAVInfo {
	var info WAVInfo
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		info.ParseError = "not RIFF/WAVE"
		return info
	}
	if int(binary.LittleEndian.Uint32(b[4:8])) != len(b)-8 {
		info.ParseError = "riff size does not match file size"
	}
	pos := 12
	for pos+8 <= len(b) {
		id := string(b[pos : pos+4])
		size := int(binary.LittleEndian.Uint32(b[pos+4 : pos+8]))
		body := b[pos+8:]
		switch id {
		case "fmt ":
			if size >= 16 && len(body) >= 16 {
				info.Format = int(binary.LittleEndian.Uint16(body[0:2]))
				info.Channels = int(binary.LittleEndian.Uint16(body[2:4]))
				info.Rate = int(binary.LittleEndian.Uint32(body[4:8]))
				info.Bits = int(binary.LittleEndian.Uint16(body[14:16]))
			}
		case "data":
			info.DataBytes = size
			if size > len(body) {
				info.ParseError = "data chunk larger than file"
			}
			info.HeaderOK = info.ParseError == "" && info.Rate > 0
			return info
		}
		pos += 8 + size + size&1
	}
	info.ParseError = "no data chunk"
	return info
}

// Silence returns a 16-bit mono WAV of d of silence at rate, for scripting speech replies.
func Silence(rate int, d time.Duration) []byte {
	n := int(d.Seconds() * float64(rate))
	var buf bytes.Buffer
	buf.WriteString("RIFF")
	_ = binary.Write(&buf, binary.LittleEndian, uint32(36+2*n))
	buf.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(1), uint32(rate), uint32(2 * rate), uint16(2), uint16(16)} {
		_ = binary.Write(&buf, binary.LittleEndian, v)
	}
	buf.WriteString("data")
	_ = binary.Write(&buf, binary.LittleEndian, uint32(2*n))
	buf.Write(make([]byte, 2*n))
	return buf.Bytes()
}
