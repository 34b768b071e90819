package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestMain removes what tests built once for the whole run (the record
// tests' programs, the benchmark's binary).
func TestMain(m *testing.M) {
	code := m.Run()
	if progDir != "" {
		os.RemoveAll(progDir)
	}
	if recordBenchBin.path != "" {
		os.RemoveAll(filepath.Dir(recordBenchBin.path))
	}
	os.Exit(code)
}
