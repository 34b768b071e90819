// Package execdeps computes what a command needs to start (placeholder).
package execdeps
