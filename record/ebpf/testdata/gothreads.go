//go:build ignore

// A multi-threaded Go program for the recorder tests: goroutines locked
// to their own OS threads do file and pipe I/O concurrently.
package main

import (
	"fmt"
	"os"
	"runtime"
	"sync"
)

func main() {
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread() // force a thread per goroutine
			b, err := os.ReadFile("/proc/self/status")
			if err != nil {
				panic(err)
			}
			r, w, err := os.Pipe()
			if err != nil {
				panic(err)
			}
			fmt.Fprintf(w, "%d", i)
			w.Close()
			buf := make([]byte, 8)
			n, _ := r.Read(buf)
			r.Close()
			mu.Lock()
			total += len(b) + n
			mu.Unlock()
		}()
	}
	wg.Wait()
	fmt.Println(total > 0)
}
