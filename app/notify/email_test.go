package notify

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/holdslayer/holdslayer/app"
)

// mailbox is an in-process SMTP server's backend that keeps what it receives.
type mailbox struct {
	user, pass string // required credentials when set
	mu         sync.Mutex
	msgs       []received
	got        chan received
}

type received struct {
	from string
	to   []string
	data string
	tls  bool
	auth string
}

type mailSession struct {
	mb  *mailbox
	c   *smtp.Conn
	cur received
}

func (mb *mailbox) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &mailSession{mb: mb, c: c}, nil
}

func (s *mailSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *mailSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != s.mb.user || password != s.mb.pass {
			return errors.New("invalid credentials")
		}
		s.cur.auth = username
		return nil
	}), nil
}

func (s *mailSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.mb.user != "" && s.cur.auth == "" {
		return &smtp.SMTPError{Code: 530, Message: "authentication required"}
	}
	s.cur.from = from
	return nil
}

func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.to = append(s.cur.to, to)
	return nil
}

func (s *mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = string(b)
	_, s.cur.tls = s.c.TLSConnectionState()
	s.mb.mu.Lock()
	s.mb.msgs = append(s.mb.msgs, s.cur)
	s.mb.mu.Unlock()
	s.mb.got <- s.cur
	return nil
}

func (s *mailSession) Reset()        { s.cur = received{auth: s.cur.auth} }
func (s *mailSession) Logout() error { return nil }

// startSMTP runs a go-smtp server on loopback; with tc set it offers STARTTLS.
func startSMTP(t *testing.T, mb *mailbox, tc *tls.Config) (host string, port int) {
	t.Helper()
	mb.got = make(chan received, 8)
	srv := smtp.NewServer(mb)
	srv.Domain = "localhost"
	srv.TLSConfig = tc
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close(); <-done })
	a := ln.Addr().(*net.TCPAddr)
	return a.IP.String(), a.Port
}

func TestEmailPlainSMTP(t *testing.T) {
	mb := &mailbox{}
	host, port := startSMTP(t, mb, nil)
	h := newHarness(t, Options{})
	tg := h.add(Target{Name: "mail", Kind: KindEmail, Enabled: true, Config: map[string]string{
		"host": host, "port": strconv.Itoa(port), "tls": TLSOpportunistic,
		"from": "holdslayer@example.com", "to": "robert@example.com, pat@example.com",
	}})
	h.publish(app.EventCallStarted, "call_1", map[string]any{"number": "+18005551234"})
	h.publish(app.EventHumanDetected, "call_1", map[string]any{"confidence": 0.93, "transcript_excerpt": "this is Sarah, how can I help you", "device": "desk phone"})

	ev := h.next()
	if ev.Type != app.EventNotificationSent || ev.CallID != "call_1" || ev.Data["target_id"] != tg.ID || ev.Data["event_type"] != "human_detected" {
		t.Fatalf("event %v %v", ev.Type, ev.Data)
	}
	m := <-mb.got
	if m.from != "holdslayer@example.com" || strings.Join(m.to, ",") != "robert@example.com,pat@example.com" {
		t.Fatalf("envelope %q %q", m.from, m.to)
	}
	for _, want := range []string{
		"Subject: Pick up: a person answered at +18005551234",
		"A live person answered your call to +18005551234.",
		"Transferring to: desk phone",
		"Call: call_1",
		"They said: \"this is Sarah, how can I help you\"",
	} {
		if !strings.Contains(m.data, want) {
			t.Errorf("mail lacks %q:\n%s", want, m.data)
		}
	}
	ds, _ := h.store.RecentDeliveries(t.Context(), DeliveryFilter{TargetID: tg.ID})
	if len(ds) != 1 || ds[0].Status != StatusSent || ds[0].Attempts != 1 || ds[0].CallID != "call_1" {
		t.Fatalf("deliveries %+v", ds)
	}
}

func TestEmailSTARTTLSWithAuth(t *testing.T) {
	cert, pool := selfSigned(t)
	mb := &mailbox{user: "robert", pass: "s3cret-smtp-pass"}
	host, port := startSMTP(t, mb, &tls.Config{Certificates: []tls.Certificate{cert}})
	h := newHarness(t, Options{SMTPTLSConfig: &tls.Config{RootCAs: pool}})
	tg := h.add(Target{Name: "mail", Kind: KindEmail, Enabled: true,
		Events: []string{"call_failed"},
		Config: map[string]string{"host": host, "port": strconv.Itoa(port), "username": "robert",
			"from": "holdslayer@example.com", "to": "robert@example.com"},
		Secrets: map[string]string{"password": "s3cret-smtp-pass"},
	})
	h.publish(app.EventCallFailed, "call_2", map[string]any{"number": "+18005550000", "error": "busy"})
	if ev := h.next(); ev.Type != app.EventNotificationSent {
		t.Fatalf("event %v %v", ev.Type, ev.Data)
	}
	m := <-mb.got
	if !m.tls || m.auth != "robert" {
		t.Fatalf("tls=%v auth=%q", m.tls, m.auth)
	}
	if !strings.Contains(m.data, "Subject: Call to +18005550000 failed") || !strings.Contains(m.data, "Error: busy") {
		t.Fatalf("mail:\n%s", m.data)
	}

	// A wrong password is a permanent failure: one attempt, recorded, password never shown.
	if _, err := h.n.UpdateTarget(t.Context(), tg.ID, Target{Name: "mail", Kind: KindEmail, Enabled: true,
		Events: tg.Events, Config: tg.Config, Secrets: map[string]string{"password": "wrong-password-xyz"}}); err != nil {
		t.Fatal(err)
	}
	d, err := h.n.Test(t.Context(), tg.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != StatusFailed || d.Attempts != 1 || strings.Contains(d.Error, "wrong-password-xyz") {
		t.Fatalf("delivery %+v", d)
	}
	if strings.Contains(h.logs.String(), "wrong-password-xyz") || strings.Contains(h.logs.String(), "s3cret-smtp-pass") {
		t.Fatal("a password reached the logs")
	}
}

// selfSigned returns a loopback certificate and a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(c)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

func TestEmailImplicitTLS(t *testing.T) {
	cert, pool := selfSigned(t)
	mb := &mailbox{got: make(chan received, 4)}
	srv := smtp.NewServer(mb)
	srv.Domain = "localhost"
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	defer func() { _ = srv.Close(); <-done }()

	h := newHarness(t, Options{SMTPTLSConfig: &tls.Config{RootCAs: pool}})
	tg := h.add(Target{Name: "mail", Kind: KindEmail, Enabled: true, Config: map[string]string{
		"host": "127.0.0.1", "port": strconv.Itoa(ln.Addr().(*net.TCPAddr).Port), "tls": TLSImplicit,
		"from": "holdslayer@example.com", "to": "robert@example.com"}})
	d, err := h.n.Test(t.Context(), tg.ID)
	if err != nil || d.Status != StatusSent {
		t.Fatalf("%+v %v", d, err)
	}
	m := <-mb.got
	if !m.tls || !strings.Contains(m.data, "Subject: Hold Slayer test notification") {
		t.Fatalf("tls=%v\n%s", m.tls, m.data)
	}
}
