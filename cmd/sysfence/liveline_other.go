//go:build !unix

package main

import "os"

func terminalRows(*os.File) int { return 0 }

func notifyResize(chan os.Signal) {}
