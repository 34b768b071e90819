package ebpf

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"syscall"
)

// Reading the offsets from the kernel's BTF costs about 20 ms (parsing
// 5 MB of type information), a tenth of a short recorded run. They are
// cached per boot in /run/sysfence, keyed by the kernel's build ID: the
// kernel cannot change without a reboot, and /run is a root-only tmpfs
// emptied by it. Files not owned by root or writable by others are
// ignored.
const layoutCacheDir = "/run/sysfence"

// cachedLayout is kernelLayout in a stable encoding.
type cachedLayout struct {
	TaskStatus, TaskPid, TaskTgid uint32
	NativeArgs, CompatArgs        [6]uint32
}

// kernelBuildID reads the GNU build ID note from /sys/kernel/notes.
func kernelBuildID() (string, error) {
	notes, err := os.ReadFile("/sys/kernel/notes")
	if err != nil {
		return "", err
	}
	const ntGNUBuildID = 3
	for len(notes) >= 12 {
		namesz := binary.LittleEndian.Uint32(notes[0:])
		descsz := binary.LittleEndian.Uint32(notes[4:])
		typ := binary.LittleEndian.Uint32(notes[8:])
		nameEnd := 12 + align4(namesz)
		descEnd := nameEnd + align4(descsz)
		if descEnd > uint32(len(notes)) || namesz > 64 {
			break
		}
		name := bytes.TrimRight(notes[12:12+namesz], "\x00")
		if typ == ntGNUBuildID && string(name) == "GNU" && descsz > 0 {
			return hex.EncodeToString(notes[nameEnd : nameEnd+descsz]), nil
		}
		notes = notes[descEnd:]
	}
	return "", errors.New("no build ID in /sys/kernel/notes")
}

func align4(n uint32) uint32 { return (n + 3) &^ 3 }

func layoutCachePath() (string, bool) {
	id, err := kernelBuildID()
	if err != nil {
		return "", false
	}
	return filepath.Join(layoutCacheDir, "ebpf-layout-"+id+".json"), true
}

// loadCachedLayout returns the cached offsets for this kernel, if any.
func loadCachedLayout() (*kernelLayout, bool) {
	path, ok := layoutCachePath()
	if !ok || !trustedRootFile(layoutCacheDir) || !trustedRootFile(path) {
		return nil, false
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, false
	}
	var c cachedLayout
	if json.Unmarshal(b, &c) != nil || c.TaskPid == 0 || c.TaskTgid == 0 {
		return nil, false
	}
	return &kernelLayout{Status: c.TaskStatus, Pid: c.TaskPid, Tgid: c.TaskTgid,
		NativeArgs: c.NativeArgs, CompatArgs: c.CompatArgs}, true
}

// storeCachedLayout saves the offsets; failures only cost the next run
// the BTF parse.
func storeCachedLayout(k *kernelLayout) {
	path, ok := layoutCachePath()
	if !ok || os.Geteuid() != 0 {
		return
	}
	if err := os.MkdirAll(layoutCacheDir, 0o755); err != nil || !trustedRootFile(layoutCacheDir) {
		return
	}
	b, err := json.Marshal(cachedLayout{TaskStatus: k.Status, TaskPid: k.Pid, TaskTgid: k.Tgid,
		NativeArgs: k.NativeArgs, CompatArgs: k.CompatArgs})
	if err != nil {
		return
	}
	tmp, err := os.CreateTemp(layoutCacheDir, ".layout-*")
	if err != nil {
		return
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil || tmp.Chmod(0o644) != nil || tmp.Close() != nil {
		tmp.Close()
		return
	}
	_ = os.Rename(tmp.Name(), path)
}

func dropCachedLayout() {
	if path, ok := layoutCachePath(); ok {
		_ = os.Remove(path)
	}
}

// trustedRootFile: owned by root and not writable by group or others.
func trustedRootFile(path string) bool {
	fi, err := os.Lstat(path)
	if err != nil {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && st.Uid == 0 && fi.Mode().Perm()&0o022 == 0 && fi.Mode()&os.ModeSymlink == 0
}
