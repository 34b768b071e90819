// Package atomicfile writes files so that readers see either the old
// content or the complete new content, never a half-written file: the data
// goes to a temporary file in the same directory, is flushed to disk, and
// is renamed over the target (rename is atomic within a file system); the
// directory is synced so the rename itself survives a crash.
package atomicfile
