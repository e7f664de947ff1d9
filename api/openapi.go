package api

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"

	"github.com/gin-gonic/gin"
	"gopkg.in/yaml.v3"
)

// openapiYAML is the API's OpenAPI 3.1 document, kept beside the handlers it describes; a test
// holds the two to the same set of routes and the same response shapes.
//
//go:embed openapi.yaml
var openapiYAML []byte

//go:embed docs.html
var docsTemplate []byte

var (
	specOnce sync.Once
	specJSON []byte
	specErr  error
)

// OpenAPIJSON returns the OpenAPI document as JSON.
func OpenAPIJSON() ([]byte, error) {
	specOnce.Do(func() {
		var doc any
		if err := yaml.Unmarshal(openapiYAML, &doc); err != nil {
			specErr = fmt.Errorf("parse openapi.yaml: %w", err)
			return
		}
		specJSON, specErr = json.Marshal(doc)
	})
	return specJSON, specErr
}

func (s *server) openAPI(c *gin.Context) error {
	doc, err := OpenAPIJSON()
	if err != nil {
		return err
	}
	c.Data(http.StatusOK, "application/json", doc)
	return nil
}

// docs serves a self-contained page that renders the document (inlined, no network needed).
func (s *server) docs(c *gin.Context) error {
	doc, err := OpenAPIJSON()
	if err != nil {
		return err
	}
	// json.Marshal escapes <, > and &, so the document cannot end the script element early.
	page := bytes.Replace(docsTemplate, []byte("{{SPEC}}"), doc, 1)
	c.Header("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'")
	c.Data(http.StatusOK, "text/html; charset=utf-8", page)
	return nil
}
