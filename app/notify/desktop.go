package notify

import (
	"context"
	"fmt"
	"runtime"

	"github.com/gen2brain/beeep"
)

// DesktopFunc shows a desktop notification. Options.Desktop is nil where there is no desktop
// (a server, a container): desktop targets are then recorded as skipped.
type DesktopFunc func(title, body string) error

// BeeepDesktop shows a notification through gen2brain/beeep (D-Bus or notify-send on Linux,
// the native APIs elsewhere). main passes it as Options.Desktop when DesktopAvailable says so.
func BeeepDesktop(title, body string) error { return beeep.Notify(title, body, "") }

// DesktopAvailable reports whether this process can show desktop notifications, judged from
// the environment main passes in (os.Getenv): a display or session bus on Unix, always on
// macOS and Windows.
func DesktopAvailable(getenv func(string) string) bool {
	switch runtime.GOOS {
	case "darwin", "windows":
		return true
	}
	return getenv("DISPLAY") != "" || getenv("WAYLAND_DISPLAY") != "" || getenv("DBUS_SESSION_BUS_ADDRESS") != ""
}

type desktopSender struct{ show DesktopFunc }

func (s *desktopSender) send(ctx context.Context, t Target, m Message, deliveryID string) error {
	if s.show == nil {
		return fmt.Errorf("no desktop session on this machine: %w", errSkipped)
	}
	done := make(chan error, 1)
	go func() { done <- s.show(m.Title, m.Body) }()
	select {
	case err := <-done:
		if err != nil {
			return permanent(fmt.Errorf("desktop notification: %w", err))
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("desktop notification: %w", ctx.Err())
	}
}
