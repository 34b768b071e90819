// Command genprebuilt writes internal/build/zprebuilt.go (run through
// go generate ./internal/build).
package main
