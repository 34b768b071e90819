// Package atomicfile writes files so that readers see either the old
// content or the complete new content, never a half-written file: the data
// goes to a temporary file in the same directory, is flushed to disk, and
// is renamed over the target (rename is atomic within a file system); the
// directory is synced so the rename itself survives a crash. A character
// device or FIFO (/dev/null, /dev/stdout, a named pipe) has nothing to
// replace and is written directly.
package atomicfile
