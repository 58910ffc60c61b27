package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// sampleSummary is a run of 30 fake seconds with two series, a gauge and a
// distribution.
func sampleSummary(t *testing.T) *Summary {
	t.Helper()
	clk := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	r := newRecorder(clk.now, time.Second, 600)
	send, deliver := r.Series("send"), r.Series("delivery")
	cpu := r.Gauge("server CPU", "%")
	dist := r.Group("delivery by syncer")
	for sec := range 30 {
		for i := range 50 + sec {
			send.Observe(time.Duration(1+i%7) * time.Millisecond)
			deliver.Observe(time.Duration(3+i%11) * time.Millisecond)
			dist.Observe([]string{"alice", "bob", "carol"}[i%3], time.Duration(3+i%11)*time.Millisecond)
		}
		if sec == 12 {
			send.Fail()
		}
		cpu.Set(float64(40 + sec))
		clk.advance(time.Second)
	}
	s := &Summary{
		Tool: "load", Target: "http://127.0.0.1:8008", Outcome: "ok",
		Params: map[string]string{"rooms": "10", "mix": "message=80,typing=20"},
		Counts: map[string]int64{"sent": 2100}, Errors: map[string]int64{"M_LIMIT_EXCEEDED": 1},
		Server: &Server{PID: 42, CPUSeconds: 12, CPUPercent: 40, CPUPerOp: 120, PerOp: "send", RSSMaxBytes: 80 << 20, RSSEndBytes: 70 << 20},
		Notes:  []string{"a <note> & more"},
	}
	r.Fill(s)
	return s
}

func TestRenderHTMLSelfContainedAndWellFormed(t *testing.T) {
	s := sampleSummary(t)
	page, err := RenderHTML(s)
	if err != nil {
		t.Fatal(err)
	}
	// Well-formed: every element closes, every attribute is quoted.
	d := xml.NewDecoder(bytes.NewReader(page))
	d.Strict = true
	d.Entity = xml.HTMLEntity
	paths, svgs := 0, 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			switch se.Name.Local {
			case "path":
				paths++
			case "svg":
				svgs++
			case "script", "link", "img", "iframe":
				t.Errorf("page has a <%s> element", se.Name.Local)
			}
			for _, a := range se.Attr {
				if a.Name.Local == "src" || a.Name.Local == "href" {
					t.Errorf("<%s %s=%q> would fetch", se.Name.Local, a.Name.Local, a.Value)
				}
			}
		}
	}
	// Throughput, two latency charts, the gauge, the distribution.
	if svgs != 5 {
		t.Errorf("%d charts, want 5", svgs)
	}
	if paths < 2+3+3+1+3 {
		t.Errorf("%d plotted lines", paths)
	}
	text := string(page)
	for _, want := range []string{"send/s", "delivery/s", "send failed/s", "send latency percentiles", "server CPU",
		"delivery by syncer: 3 keys", "M_LIMIT_EXCEEDED", "a &lt;note&gt; &amp; more", "CPU per send", "http://127.0.0.1:8008"} {
		if !strings.Contains(text, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if regexp.MustCompile(`url\(|@import|@font-face`).MatchString(text) {
		t.Error("the style sheet fetches something")
	}
	// The throughput line rises from about 50/s to about 79/s.
	if !regexp.MustCompile(`<path d="M[0-9. L]+" fill="none" stroke="#0072b2" stroke-width="1.8"><title>send/s</title>`).MatchString(text) {
		t.Error("no send/s line")
	}
}

func TestWriteJSONRoundTrips(t *testing.T) {
	s := sampleSummary(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "out.json")
	if err := WriteJSON(path, s); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(filepath.Join(dir, "out.html"), s); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var back Summary
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Latency[0].Count != s.Latency[0].Count || len(back.Timeline.Series[1].Points) != 30 || back.Server.CPUPerOp != 120 {
		t.Errorf("round trip lost data: %+v", back.Latency)
	}
	if err := WriteJSON(filepath.Join(dir, "missing", "x.json"), s); err == nil {
		t.Error("writing into a missing directory succeeded")
	}
}

func TestProgressPlainLines(t *testing.T) {
	var buf syncBuffer
	n := 0
	p := StartProgress(&buf, 10*time.Millisecond, func() string { n++; return "status" })
	time.Sleep(55 * time.Millisecond)
	p.Stop()
	p.Stop()
	out := buf.String()
	if strings.Contains(out, "\r") || strings.Count(out, "status\n") < 2 {
		t.Errorf("plain progress wrote %q", out)
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestDur(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{{-1, "n/a"}, {500 * time.Microsecond, "500µs"}, {1500 * time.Microsecond, "1.50ms"}, {2500 * time.Millisecond, "2.50s"}}
	for _, tt := range tests {
		if got := Dur(tt.d); got != tt.want {
			t.Errorf("Dur(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}
