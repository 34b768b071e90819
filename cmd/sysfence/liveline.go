package main

import (
	"fmt"
	"os"
	"os/signal"
	"sync"
	"time"
)

// liveLine keeps one status line at the bottom of the terminal while a
// command runs, as apt's progress bar does: the scroll region is set to
// every row but the last, so the command's own output scrolls above the
// line instead of mixing with it. Each update is one write(2), which the
// terminal driver does not interleave with the command's writes. Without
// the terminal's size (or on a terminal of fewer than 3 rows) there is no
// line: drawn in place, it would be glued to the command's output.
type liveLine struct {
	f      *os.File
	color  bool
	text   func() string
	quit   chan struct{}
	done   chan struct{}
	mu     sync.Mutex
	rows   int // 0: no scroll region
	winch  chan os.Signal
	closed bool
}

const liveEvery = 250 * time.Millisecond

func startLiveLine(f *os.File, color bool, text func() string) *liveLine {
	l := &liveLine{f: f, color: color, text: text, quit: make(chan struct{}), done: make(chan struct{}), winch: make(chan os.Signal, 1)}
	l.setRegion()
	notifyResize(l.winch)
	go l.loop()
	return l
}

// setRegion reserves the last row (again, after a resize).
func (l *liveLine) setRegion() {
	rows := terminalRows(l.f)
	if rows < 3 {
		l.rows = 0
		return
	}
	l.rows = rows
	// A new line makes room if the cursor is on the last row; the cursor
	// is saved, the region set (which homes the cursor), the cursor
	// restored and moved back up into the region.
	fmt.Fprintf(l.f, "\n\0337\033[1;%dr\0338\033[1A", rows-1)
}

func (l *liveLine) loop() {
	defer close(l.done)
	tick := time.NewTicker(liveEvery)
	defer tick.Stop()
	l.draw()
	for {
		select {
		case <-l.quit:
			return
		case <-l.winch:
			l.mu.Lock()
			l.clear()
			l.setRegion()
			l.mu.Unlock()
			l.draw()
		case <-tick.C:
			l.draw()
		}
	}
}

func (l *liveLine) draw() {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.text()
	if l.color {
		s = "\033[2m" + s + "\033[0m" // faint
	}
	if l.rows == 0 {
		return
	}
	l.f.WriteString(fmt.Sprintf("\0337\033[%d;1H\033[2K%s\0338", l.rows, s))
}

// clear removes the line and gives the terminal its whole screen back.
func (l *liveLine) clear() {
	if l.rows == 0 {
		return
	}
	l.f.WriteString(fmt.Sprintf("\0337\033[r\033[%d;1H\033[2K\0338", l.rows))
}

// stop ends the live line; a nil line does nothing.
func (l *liveLine) stop() {
	if l == nil {
		return
	}
	close(l.quit)
	<-l.done
	signal.Stop(l.winch)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.clear()
}
