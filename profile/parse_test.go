package profile

import (
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var yamlBreaks = regexp.MustCompile("\r\n|\r|\n|\u0085|\u2028|\u2029")

// errorCases: each input must fail with exactly this message (file, line,
// column, path and text).
var errorCases = []struct {
	name, in, want string
	kind           error // extra sentinel, if any
}{
	{"syntax/empty", "", `p.json:1:1: empty profile`, ErrSyntax},
	{"syntax/blank", " \n\t\n", `p.json:1:1: empty profile`, ErrSyntax},
	{"syntax/unterminated-object", "{\n  \"defaultAction\": \"SCMP_ACT_ERRNO\"\n", `p.json:3:1: unexpected end of input, expected ',' or '}'`, ErrSyntax},
	{"syntax/trailing-comma", "{\n  \"defaultAction\": \"SCMP_ACT_ERRNO\",\n}", `p.json:3:1: trailing comma before '}' (JSON does not allow one)`, ErrSyntax},
	{"syntax/unquoted-key", "{\n  defaultAction: 1\n}", `p.json:2:3: unexpected 'd', expected a "quoted key"`, ErrSyntax},
	{"syntax/bad-literal", `{"defaultAction": TRUE}`, `p.json:1:19: unexpected 'T', expected a value`, ErrSyntax},
	{"syntax/hex-number", `{"a": 0x10}`, `p.json:1:7: invalid number (JSON numbers are decimal: no hex, octal or leading zeros)`, ErrSyntax},
	{"syntax/garbage-after", `{} {}`, `p.json:1:4: unexpected '{' after the top-level value`, ErrSyntax},
	{"syntax/newline-in-string", "{\"a\": \"x\ny\"}", `p.json:1:9: unterminated string (a newline inside a string must be written \n)`, ErrSyntax},
	{"syntax/bad-escape", `{"a": "\q"}`, `p.json:1:8: invalid escape "\\q" in string`, ErrSyntax},
	{"syntax/column-counts-characters", "{\"comment\": \"héllo\" x}", `p.json:1:21: unexpected 'x', expected ',' or '}'`, ErrSyntax},
	{"syntax/yaml", "defaultAction: [\n", `p.json:1:1: malformed YAML: did not find expected node content`, ErrSyntax},
	{"syntax/yaml-two-documents", "defaultAction: SCMP_ACT_ERRNO\n---\ndefaultAction: SCMP_ACT_ALLOW\n", `p.json:2:1: more than one YAML document; a profile is a single document`, ErrSyntax},
	{"syntax/yaml-two-documents-after-empty", "---\ndefaultAction: SCMP_ACT_ERRNO\n---\n---\ndefaultAction: SCMP_ACT_ALLOW\n", `p.json:4:1: more than one YAML document; a profile is a single document`, ErrSyntax},
	{"syntax/yaml-only-empty-documents", "---\n---\n", `p.json:1:1: empty profile`, ErrSyntax},
	{"syntax/yaml-invalid-utf8", "defaultAction: SCMP_ACT_ERRNO\n# h\xc3\xa9llo \xe9\n", `p.json:2:9: invalid UTF-8 (a YAML profile is UTF-8 text)`, ErrSyntax},
	{"syntax/yaml-merge-key", "base: &b {action: SCMP_ACT_ALLOW}\n<<: *b\n", `p.json:2:1: YAML merge keys (<<) are not supported in profiles; write the fields out`, ErrSyntax},
	{"type/top-level-array", `[1]`, `p.json:1:1: a profile must be an object, got an array`, nil},
	{"field/unknown-top", "{\n  \"defaultAktion\": \"SCMP_ACT_ERRNO\"\n}", `p.json:2:3: unknown field "defaultAktion" (did you mean defaultAction?)`, nil},
	{"field/unknown-escaped-key", "{\"defaultAction\": \"SCMP_ACT_ERRNO\",\n \"\\u0078y\": 1}", `p.json:2:2: unknown field "xy"`, nil},
	{"field/duplicate-escaped-key", "{\"defaultAction\": \"SCMP_ACT_ERRNO\",\n  \"default\\u0041ction\": 1}", `p.json:2:3: duplicate field "defaultAction" (first at 1:2)`, nil},
	{"field/unknown-yaml-key", "defaultAction: SCMP_ACT_ERRNO\nsyscalls:\n  - names: [read]\n    acton: SCMP_ACT_ALLOW\n", `p.json:4:5: syscalls[0]: unknown field "acton" (did you mean action?)`, nil},
	{"field/duplicate", "{\"defaultAction\": \"SCMP_ACT_ERRNO\",\n \"defaultAction\": \"SCMP_ACT_ALLOW\"}", `p.json:2:2: duplicate field "defaultAction" (first at 1:2)`, nil},
	{"field/missing-default-action", `{"syscalls": []}`, `p.json:1:1: missing defaultAction (a profile without one disables seccomp in Docker and is refused by runc)`, nil},
	{"field/unknown-in-entry", `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"nmes": ["read"], "action": "SCMP_ACT_ALLOW"}]}`, `p.json:1:51: syscalls[0]: unknown field "nmes" (did you mean names?)`, nil},
	{"field/unknown-in-arg", `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"idx": 0}]}]}`, `p.json:1:108: syscalls[0].args[0]: unknown field "idx" (did you mean index?)`, nil},
	{"type/action-number", `{"defaultAction": 1}`, `p.json:1:19: defaultAction: expected a string, got a number`, nil},
	{"type/names-string", `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": "read", "action": "SCMP_ACT_ALLOW"}]}`, `p.json:1:60: syscalls[0].names: expected an array of strings, got a string`, nil},
	{"type/names-element", `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read", 3], "action": "SCMP_ACT_ALLOW"}]}`, `p.json:1:69: syscalls[0].names[1]: expected a string, got a number`, nil},
	{"type/syscalls-object", `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": {}}`, `p.json:1:49: syscalls: expected an array of syscall entries, got an object`, nil},
	{"type/float-index", `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 1.0, "op": "SCMP_CMP_EQ"}]}]}`, `p.json:1:117: syscalls[0].args[0].index: expected an integer, got 1.0`, nil},
	{"value/unknown-action", `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOWED"}]}`, `p.json:1:80: syscalls[0].action: unknown action "SCMP_ACT_ALLOWED" (did you mean SCMP_ACT_ALLOW?)`, nil},
	{"value/unknown-default-action", `{"defaultAction": "scmp_act_errno"}`, `p.json:1:19: defaultAction: unknown action "scmp_act_errno" (did you mean SCMP_ACT_ERRNO?)`, nil},
	{"value/unknown-operator", "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [\n  {\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\",\n   \"args\": [{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_EQUAL\"}]}]}", `p.json:3:44: syscalls[0].args[0].op: unknown operator "SCMP_CMP_EQUAL" (did you mean SCMP_CMP_EQ?)`, nil},
	{"value/unknown-arch", `{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_46"]}`, `p.json:1:55: architectures[0]: unknown architecture "SCMP_ARCH_X86_46" (did you mean SCMP_ARCH_X86_64?)`, nil},
	{"value/arch-other-spelling", `{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["arm64"]}`, `p.json:1:55: architectures[0]: unknown architecture "arm64" (did you mean SCMP_ARCH_AARCH64?)`, nil},
	{"value/unknown-archmap-arch", `{"defaultAction": "SCMP_ACT_ERRNO", "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X33"]}]}`, `p.json:1:107: archMap[0].subArchitectures[0]: unknown architecture "SCMP_ARCH_X33" (did you mean SCMP_ARCH_X32?)`, nil},
	{"value/unknown-flag", `{"defaultAction": "SCMP_ACT_ERRNO", "flags": ["SECCOMP_FILTER_FLAG_SPEC_ALOW"]}`, `p.json:1:47: flags[0]: unknown flag "SECCOMP_FILTER_FLAG_SPEC_ALOW" (did you mean SECCOMP_FILTER_FLAG_SPEC_ALLOW?)`, nil},
	{"value/unknown-filter-arch", `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["x86_64"]}}]}`, `p.json:1:122: syscalls[0].includes.arches[0]: unknown architecture "x86_64" (includes/excludes use libseccomp's native names such as amd64, x86, arm64) (did you mean amd64?)`, nil},
	{"value/unknown-cap", `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "excludes": {"caps": ["CAP_SYS_ADMN"]}}]}`, `p.json:1:120: syscalls[0].excludes.caps[0]: unknown capability "CAP_SYS_ADMN" (did you mean CAP_SYS_ADMIN?)`, nil},
	{"value/cap-without-prefix", `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["sys_ptrace"]}}]}`, `p.json:1:120: syscalls[0].includes.caps[0]: unknown capability "sys_ptrace" (did you mean CAP_SYS_PTRACE?)`, nil},
	{"rule/name-and-names", "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [\n  {\"name\": \"read\", \"names\": [\"write\"], \"action\": \"SCMP_ACT_ALLOW\"}]}", `p.json:2:20: syscalls[0]: both "name" and "names" are given; use one (Docker refuses the profile)`, nil},
	{"rule/architectures-and-archmap", "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"architectures\": [\"SCMP_ARCH_X86_64\"],\n \"archMap\": [{\"architecture\": \"SCMP_ARCH_X86_64\"}]}", `p.json:2:2: both "architectures" and "archMap" are given; use one (Docker refuses the profile)`, nil},
	{"rule/arg-index", `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 6, "op": "SCMP_CMP_EQ"}]}]}`, `p.json:1:117: syscalls[0].args[0].index: argument index 6 is out of range 0..5 (a syscall has six arguments)`, nil},
	{"rule/arg-missing-op", `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 1}]}]}`, `p.json:1:107: syscalls[0].args[0]: missing op (SCMP_CMP_EQ, SCMP_CMP_MASKED_EQ, ...)`, nil},
	{"rule/arg-missing-index", `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"op": "SCMP_CMP_EQ"}]}]}`, `p.json:1:107: syscalls[0].args[0]: missing index (0..5)`, nil},
	{"rule/negative-value", `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": -1, "op": "SCMP_CMP_EQ"}]}]}`, `p.json:1:129: syscalls[0].args[0].value: negative value -1: seccomp compares unsigned 64-bit values; write 18446744073709551615`, nil},
	{"rule/value-too-large", `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 18446744073709551616, "op": "SCMP_CMP_EQ"}]}]}`, `p.json:1:129: syscalls[0].args[0].value: 18446744073709551616 is out of range (unsigned 64-bit)`, nil},
	{"rule/null-value", `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": null, "op": "SCMP_CMP_EQ"}]}]}`, `p.json:1:129: syscalls[0].args[0].value: value is null; write the number to compare with (Docker would read null as 0)`, nil},
	{"rule/null-value-two", `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "valueTwo": null, "op": "SCMP_CMP_MASKED_EQ"}]}]}`, `p.json:1:144: syscalls[0].args[0].valueTwo: valueTwo is null; write the number to compare with (Docker would read null as 0)`, nil},
	{"yaml/null-value", "defaultAction: SCMP_ACT_ERRNO\nsyscalls:\n  - names: [read]\n    action: SCMP_ACT_ALLOW\n    args:\n      - {index: 0, value: ~, op: SCMP_CMP_EQ}\n", `p.json:6:27: syscalls[0].args[0].value: value is null; write the number to compare with (Docker would read null as 0)`, nil},
	{"rule/listener-metadata", "{\"defaultAction\": \"SCMP_ACT_ERRNO\",\n \"listenerMetadata\": \"x\"}", `p.json:2:2: listenerMetadata without listenerPath (the metadata is sent to the listener)`, nil},
	{"rule/errno-range", `{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 4096}`, `p.json:1:56: defaultErrnoRet: errnoRet 4096 is out of range 0..4095 (the kernel's MAX_ERRNO: seccomp clamps larger values, and libseccomp truncates them to 16 bits)`, nil},
	{"rule/min-kernel-three-parts", `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.8.1"}}]}`, `p.json:1:124: syscalls[0].includes.minKernel: invalid minKernel "4.8.1": want "<major>.<minor>" such as "4.8"`, nil},
	{"rule/min-kernel-zero", `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "0.0"}}]}`, `p.json:1:124: syscalls[0].includes.minKernel: invalid minKernel "0.0": version cannot be 0.0`, nil},
	{"rule/min-kernel-number", `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": 4.8}}]}`, `p.json:1:124: syscalls[0].includes.minKernel: expected a string, got a number (write it quoted: "4.8")`, nil},
	{"rule/min-kernel-too-big", `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "256.1"}}]}`, `p.json:1:124: syscalls[0].includes.minKernel: invalid minKernel "256.1": want "<major>.<minor>" such as "4.8"`, nil},
	{"rule/no-names", `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": [], "action": "SCMP_ACT_ALLOW"}]}`, `p.json:1:50: syscalls[0]: no syscall names: give "names" (a non-empty list)`, nil},
	{"rule/missing-action", `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"]}]}`, `p.json:1:50: syscalls[0]: missing action`, nil},
	{"rule/notify-default", `{"defaultAction": "SCMP_ACT_NOTIFY"}`, `p.json:1:19: defaultAction: SCMP_ACT_NOTIFY cannot be the default action (runc and libseccomp refuse it)`, nil},
	{"rule/notify-write", `{"defaultAction": "SCMP_ACT_ERRNO", "listenerPath": "/run/a.sock", "syscalls": [{"names": ["read", "write"], "action": "SCMP_ACT_NOTIFY"}]}`, `p.json:1:81: syscalls[0]: SCMP_ACT_NOTIFY cannot be used for write (runc refuses it: it needs write to talk to the agent)`, nil},
	{"podman/unknown-errno", `{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrno": "ENOSYSS"}`, `p.json:1:53: defaultErrno: unknown errno name "ENOSYSS" (did you mean ENOSYS?)`, nil},
	{"podman/errno-disagrees", `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "errno": "EACCES"}]}`, `p.json:1:122: syscalls[0].errno: "EACCES" says 13 but errnoRet is 1: Docker would use one and Podman the other`, nil},
	{"ext/relative-path", `{"defaultAction": "SCMP_ACT_ERRNO", "x-sysfence": {"allowRead": ["etc/hostname"]}}`, `p.json:1:66: x-sysfence.allowRead[0]: path "etc/hostname" is relative; profile paths must be absolute`, nil},
	{"ext/port-range", `{"defaultAction": "SCMP_ACT_ERRNO", "x-sysfence": {"allowBind": [80, 65536]}}`, `p.json:1:70: x-sysfence.allowBind[1]: port 65536 is out of range 1..65535`, nil},
	{"ext/port-zero", `{"defaultAction": "SCMP_ACT_ERRNO", "x-sysfence": {"allowConnect": [0]}}`, `p.json:1:69: x-sysfence.allowConnect[0]: port 0 is not a TCP port (1..65535)`, nil},
	{"ext/unknown-key", `{"defaultAction": "SCMP_ACT_ERRNO", "x-sysfence": {"allowRaed": []}}`, `p.json:1:52: x-sysfence: unknown field "allowRaed" (did you mean allowRead?)`, nil},
	{"ext/wrong-type", `{"defaultAction": "SCMP_ACT_ERRNO", "x-sysfence": {"allowConnect": "443"}}`, `p.json:1:68: x-sysfence.allowConnect: expected an array of TCP ports, got a string`, nil},
	{"oci-config/docker-field", "{\"ociVersion\": \"1.0.2\", \"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ERRNO\",\n  \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": {}}]}}}", `p.json:2:64: linux.seccomp.syscalls[0]: "includes" is a Docker profile field that runc ignores; resolve the Docker profile first`, nil},
	{"oci-config/name", `{"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"name": "read", "action": "SCMP_ACT_ALLOW"}]}}}`, `p.json:1:73: linux.seccomp.syscalls[0]: "name" is not an OCI field (runc ignores it); use "names"`, nil},
	{"oci-config/native", `{"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_NATIVE"]}}}`, `p.json:1:77: linux.seccomp.architectures[0]: runc does not accept SCMP_ARCH_NATIVE in config.json; name the architecture`, nil},
	{"oci-config/no-seccomp", `{"ociVersion": "1.0.2", "process": {}}`, `p.json:1:1: OCI config.json without linux.seccomp: there is no profile to read`, nil},
	{"spo/base-profile", "apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\nmetadata:\n  name: x\nspec:\n  defaultAction: SCMP_ACT_ERRNO\n  baseProfileName: runc-v1.0.0\n", `p.json:7:20: spec.baseProfileName: baseProfileName "runc-v1.0.0": sysfence cannot resolve base profiles of the Security Profiles Operator; merge the base profile's syscalls into this one`, ErrUnsupported},
	{"spo/api-version", "apiVersion: security-profiles-operator.x-k8s.io/v1beta2\nkind: SeccompProfile\nspec:\n  defaultAction: SCMP_ACT_ERRNO\n", `p.json:1:13: apiVersion: unsupported apiVersion "security-profiles-operator.x-k8s.io/v1beta2" (did you mean security-profiles-operator.x-k8s.io/v1beta1?); sysfence reads security-profiles-operator.x-k8s.io/v1alpha1, security-profiles-operator.x-k8s.io/v1beta1, security-profiles-operator.x-k8s.io/v1`, nil},
	{"spo/kind", "apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SelinuxProfile\nspec: {}\n", `p.json:2:7: kind: kind "SelinuxProfile" is not a seccomp profile`, nil},
	{"spo/arch-not-in-enum", "apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\nspec:\n  defaultAction: SCMP_ACT_ERRNO\n  architectures: [SCMP_ARCH_LOONGARCH64]\n", `p.json:5:19: spec.architectures[0]: architecture "SCMP_ARCH_LOONGARCH64" is not accepted by the SeccompProfile API`, nil},
	{"spo/extension", "apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\nspec:\n  defaultAction: SCMP_ACT_ERRNO\n  x-sysfence: {allowBind: [80]}\n", `p.json:5:3: spec: "x-sysfence" cannot be carried by a SeccompProfile: the Kubernetes API server drops unknown spec fields`, nil},
	{"spo/value-int64", "apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\nspec:\n  defaultAction: SCMP_ACT_ERRNO\n  syscalls:\n  - names: [read]\n    action: SCMP_ACT_ALLOW\n    args: [{index: 0, value: 18446744073709551615, op: SCMP_CMP_EQ}]\n", `p.json:8:30: spec.syscalls[0].args[0].value: 18446744073709551615 does not fit the SeccompProfile API's int64`, nil},
	{"yaml/unknown-field", "defaultAction: SCMP_ACT_ERRNO\nsyscalls:\n  - names: [read]\n    actoin: SCMP_ACT_ALLOW\n", `p.json:4:5: syscalls[0]: unknown field "actoin" (did you mean action?)`, nil},
	{"yaml/wrong-type", "defaultAction: SCMP_ACT_ERRNO\nsyscalls:\n  - names: read\n    action: SCMP_ACT_ALLOW\n", `p.json:3:12: syscalls[0].names: expected an array of strings, got a string`, nil},
	{"yaml/index-range", "defaultAction: SCMP_ACT_ERRNO\nsyscalls:\n  - names: [read]\n    action: SCMP_ACT_ALLOW\n    args:\n      - {index: 0x10, op: SCMP_CMP_EQ}\n", `p.json:6:17: syscalls[0].args[0].index: argument index 16 is out of range 0..5 (a syscall has six arguments)`, nil},
}

func TestParseErrors(t *testing.T) {
	for _, tc := range errorCases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse("p.json", []byte(tc.in))
			if err == nil {
				t.Fatalf("parsed, want error %q (format %v)", tc.want, p.Format)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T %v is not a *ParseError", err, err)
			}
			if !errors.Is(err, ErrInvalidProfile) {
				t.Errorf("error does not unwrap to ErrInvalidProfile")
			}
			if tc.kind != nil && !errors.Is(err, tc.kind) {
				t.Errorf("error does not unwrap to %v", tc.kind)
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("error\n got  %s\n want %s", got, tc.want)
			}
			checkErrorPos(t, tc.in, pe)
		})
	}
}

// readAsYAML reports whether Parse reads text starting with "{" as YAML:
// it is no JSON but well-formed YAML, and the file is not named *.json.
func readAsYAML(file, in string) bool {
	if strings.EqualFold(filepath.Ext(file), ".json") {
		return false
	}
	if _, perr := scanJSON("p", in); perr == nil {
		return false
	}
	_, perr := scanYAML("p", []byte(in))
	return perr == nil
}

// checkErrorPos asserts that an error's line:column lies inside the input
// (or just past its end, for "unexpected end of input").
func checkErrorPos(t testing.TB, in string, pe *ParseError) {
	t.Helper()
	lines := strings.Split(in, "\n")
	if t := strings.TrimLeft(in, " \t\r\n\ufeff"); !strings.HasPrefix(t, "{") && !strings.HasPrefix(t, "[") || readAsYAML(pe.File, in) {
		// YAML also breaks lines at CR, NEL, LS and PS.
		lines = yamlBreaks.Split(in, -1)
	}
	if pe.Line < 1 || pe.Line > len(lines)+1 {
		t.Fatalf("line %d outside the input's %d lines: %v", pe.Line, len(lines), pe)
	}
	width := 0
	if pe.Line <= len(lines) {
		width = len([]rune(lines[pe.Line-1]))
	}
	if pe.Col < 1 || pe.Col > width+1 {
		t.Fatalf("column %d outside line %d (%d characters): %v", pe.Col, pe.Line, width, pe)
	}
}

// Suggestions for actions and operators: synonyms and other tools'
// spellings name what was meant, not the nearest string.
func TestActionAndOperatorSuggestions(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"SCMP_CMP_LTE", "SCMP_CMP_LE"},
		{"SCMP_CMP_GTE", "SCMP_CMP_GE"},
		{"SCMP_CMP_EQUAL", "SCMP_CMP_EQ"},
		{"SCMP_CMP_NOT_EQUAL", "SCMP_CMP_NE"},
		{"SCMP_CMP_LESS_OR_EQUAL", "SCMP_CMP_LE"},
		{"CompareLessOrEqual", "SCMP_CMP_LE"},
		{"SCMP_CMP_MASKED_EQUAL", "SCMP_CMP_MASKED_EQ"},
		{"EQ", "SCMP_CMP_EQ"},
		{"masked_eq", "SCMP_CMP_MASKED_EQ"},
		{"SCMP_CMP_EQQ", "SCMP_CMP_EQ"},
		{"SCMP_CMP_BETWEEN", ""},
	} {
		t.Run("op="+c.in, func(t *testing.T) {
			in := `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "op": "` + c.in + `"}]}]}`
			checkSuggestion(t, in, c.want)
		})
	}
	for _, c := range []struct{ in, want string }{
		{"SCMP_ACT_EROR", "SCMP_ACT_ERRNO"},
		{"SCMP_ACT_USER_NOTIF", "SCMP_ACT_NOTIFY"},
		{"SECCOMP_RET_USER_NOTIF", "SCMP_ACT_NOTIFY"},
		{"SCMP_ACT_KILLPROCESS", "SCMP_ACT_KILL_PROCESS"},
		{"SCMP_ACT_KILL_PROC", "SCMP_ACT_KILL_PROCESS"},
		{"SECCOMP_RET_KILL_PROCESS", "SCMP_ACT_KILL_PROCESS"},
		{"ActKillProcess", "SCMP_ACT_KILL_PROCESS"},
		{"kill-thread", "SCMP_ACT_KILL_THREAD"},
		{"ERRNO", "SCMP_ACT_ERRNO"},
		{"SCMP_ACT_ERROR", "SCMP_ACT_ERRNO"},
		{"allow", "SCMP_ACT_ALLOW"},
		{"SCMP_ACT_SOMETHING", ""},
	} {
		t.Run("action="+c.in, func(t *testing.T) {
			in := `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "` + c.in + `"}]}`
			checkSuggestion(t, in, c.want)
		})
	}
}

func checkSuggestion(t *testing.T, in, want string) {
	t.Helper()
	_, err := Parse("p.json", []byte(in))
	if err == nil {
		t.Fatal("parsed")
	}
	msg := err.Error()
	got := ""
	if i := strings.Index(msg, "(did you mean "); i >= 0 {
		got = strings.TrimSuffix(msg[i+len("(did you mean "):], "?)")
	}
	if got != want {
		t.Errorf("%s\nsuggests %q, want %q", msg, got, want)
	}
}
