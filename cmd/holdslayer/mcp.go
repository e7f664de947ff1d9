package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/gin-gonic/gin"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/holdslayer/holdslayer/api/mcpserver"
	"github.com/holdslayer/holdslayer/internal/service"
)

const mcpUsage = `Usage: holdslayer mcp [-url URL] [-local [serve flags]]

Serves the Model Context Protocol over stdin/stdout for desktop assistants (Claude Desktop and
the like). By default it drives a running Hold Slayer service over its HTTP API; the API token
is read from HOLDSLAYER_API_TOKEN (or the file HOLDSLAYER_API_TOKEN_FILE names). With -local it
starts its own service in this process instead, configured like "holdslayer serve".
Logs go to stderr; stdout carries only the protocol.
`

// runMCP is `holdslayer mcp`: an MCP server on stdin/stdout. It reads the environment itself
// and ends on SIGINT/SIGTERM or when stdin closes.
func runMCP(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return mcpCommand(ctx, args, os.LookupEnv, stdin, stdout, stderr)
}

// mcpCommand is runMCP with its context and environment passed in, for run() and tests.
func mcpCommand(ctx context.Context, args []string, lookup func(string) (string, bool), stdin io.Reader, stdout, stderr io.Writer) int {
	// gin's debug mode prints routes to stdout, which here is the protocol stream.
	gin.SetMode(gin.ReleaseMode)
	fs := flag.NewFlagSet("holdslayer mcp", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, mcpUsage); fs.PrintDefaults() }
	defURL := "http://127.0.0.1:8000"
	if v, ok := lookup("HOLDSLAYER_URL"); ok && v != "" {
		defURL = v
	}
	serviceURL := fs.String("url", defURL, "base URL of the running Hold Slayer service (env HOLDSLAYER_URL)")
	local := fs.Bool("local", false, "start an in-process service instead of calling a running one")
	cfg, err := loadConfig(fs, args, lookup)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "holdslayer mcp:", err)
		return 2
	}
	log, err := newLogger(cfg, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "holdslayer mcp:", err)
		return 2
	}
	log = log.With("component", "mcp")

	var srv *mcp.Server
	if *local {
		s, closeLocal, err := localMCP(ctx, cfg, log)
		if err != nil {
			log.Error("start in-process service", "err", err)
			return 1
		}
		defer closeLocal()
		srv = s
	} else {
		s, err := mcpserver.NewRemote(mcpserver.Remote{URL: *serviceURL, Token: cfg.APIToken, Log: log, Version: buildVersion()})
		if err != nil {
			fmt.Fprintln(stderr, "holdslayer mcp:", err)
			return 2
		}
		srv = s
	}
	t := &mcp.IOTransport{Reader: io.NopCloser(stdin), Writer: nopWriteCloser{stdout}}
	if err := srv.Run(ctx, t); err != nil && ctx.Err() == nil && !errors.Is(err, io.EOF) {
		log.Error("mcp session ended", "err", err)
		return 1
	}
	return 0
}

// localMCP starts the service's store, bus and call backend in this process (as serve does,
// without HTTP) and returns an MCP server over them.
func localMCP(ctx context.Context, cfg Config, log *slog.Logger) (*mcp.Server, func(), error) {
	svc, err := service.New(ctx, cfg, log, service.Options{Version: buildVersion()})
	if err != nil {
		return nil, nil, err
	}
	srv := mcpserver.New(mcpserver.Deps{Calls: svc.Calls(), Store: svc.Store(), Bus: svc.Bus(), Log: log, Version: buildVersion()})
	return srv, svc.Close, nil
}

// nopWriteCloser keeps the MCP transport from closing our stdout.
type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }
