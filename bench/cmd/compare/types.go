package main

import "github.com/opencontainers/runtime-spec/specs-go"

type specsSeccomp = specs.LinuxSeccomp

// libVersion names the libseccomp the comparison ran with, if any.
var libVersion = func() string { return "" }
