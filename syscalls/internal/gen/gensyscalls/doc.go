// Command gensyscalls writes syscalls/zsyscalls.go from data/syscalls.csv.
package main
