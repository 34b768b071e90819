// Command gohello does nothing: the start-up benchmark's floor for any
// launcher written in Go (the runtime's own start-up).
package main

func main() {}
