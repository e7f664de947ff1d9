package ari

import (
	"fmt"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/holdslayer/holdslayer/app/clock"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkMediaSessions runs N concurrent slin16 media sessions, each fed 50 packets a second
// over loopback UDP and drained by a consumer, in real time. One op is 20 ms of audio for every
// session; it reports CPU per session (percent of one core) and frames dropped or lost.
func BenchmarkMediaSessions(b *testing.B) {
	for _, n := range []int{10, 50, 200} {
		b.Run(fmt.Sprintf("sessions=%d", n), func(b *testing.B) {
			clk := clock.Real{}
			srcs := make([]*RTPSource, n)
			txs := make([]*net.UDPConn, n)
			for i := range srcs {
				conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
				if err != nil {
					b.Fatal(err)
				}
				srcs[i], _ = NewRTPSource(conn, FormatSlin16, clk, nil)
				txs[i], err = net.DialUDP("udp", nil, srcs[i].LocalAddr())
				if err != nil {
					b.Fatal(err)
				}
			}
			var wg sync.WaitGroup
			for _, s := range srcs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range s.Frames() {
					}
				}()
			}
			pkts := make([][]byte, 64)
			for i := range pkts {
				pkts[i] = slinPacketB(uint16(i), 1000)
			}
			b.ResetTimer()
			cpu0, wall0 := cpuTime(), time.Now()
			t := time.NewTicker(FrameDuration)
			for i := 0; i < b.N; i++ {
				<-t.C
				for j, tx := range txs {
					p := pkts[(i+j)%64]
					seq := uint16(i)
					p[2], p[3] = byte(seq>>8), byte(seq)
					_, _ = tx.Write(p)
				}
			}
			t.Stop()
			cpu, wall := cpuTime()-cpu0, time.Since(wall0)
			b.StopTimer()
			var dropped, lost, frames uint64
			for i, s := range srcs {
				_ = txs[i].Close()
				_ = s.Close()
				st := s.Stats()
				dropped += st.Dropped
				lost += st.Lost
				frames += st.Frames
			}
			wg.Wait()
			b.ReportMetric(100*cpu.Seconds()/wall.Seconds()/float64(n), "%cpu/session")
			b.ReportMetric(float64(dropped), "dropped")
			b.ReportMetric(float64(lost), "lost")
			b.ReportMetric(float64(frames)/float64(n), "frames/session")
		})
	}
}

func slinPacketB(seq uint16, value int16) []byte {
	p := make([]byte, 12+640)
	p[0], p[1] = 0x80, PayloadSlin16
	p[2], p[3] = byte(seq>>8), byte(seq)
	p[8], p[9], p[10], p[11] = 0, 0, 0, 7
	for i := 12; i < len(p); i += 2 {
		p[i], p[i+1] = byte(uint16(value)>>8), byte(value)
	}
	return p
}
