//go:build !linux

package kversion

import (
	"fmt"
	"runtime"
)

func release() (string, error) { return "", fmt.Errorf("%s is not Linux", runtime.GOOS) }
