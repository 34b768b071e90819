package profile

import "github.com/moby/profiles/seccomp"

// dockerDefault is Docker's default profile, from the moby module.
var dockerDefault = seccomp.DefaultProfile
