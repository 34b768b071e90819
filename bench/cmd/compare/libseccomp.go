//go:build libseccomp

package main

import "github.com/sysfence/sysfence/bench"

func init() {
	libVersion = func() string { return ", libseccomp " + bench.LibseccompVersion() }
}
