package lint_test

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/sysfence/sysfence/internal/build"
	"github.com/sysfence/sysfence/lint"
	"github.com/sysfence/sysfence/profile"
)

// sarifSchema compiles the official SARIF 2.1.0 schema (testdata/README.md
// says where it comes from), with formats (uri, uri-reference) asserted.
func sarifSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open("testdata/sarif-schema-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	const url = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(url)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validate(t *testing.T, s *jsonschema.Schema, data []byte) error {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return s.Validate(v)
}

// TestSARIFValidates writes every rule's findings (from TestRules' cases),
// acknowledged ones, findings without a position and Docker's default as
// one SARIF log and validates it against the SARIF 2.1.0 schema. The same
// validator refuses logs with a missing or wrong field, so the check can
// fail.
func TestSARIFValidates(t *testing.T) {
	schema := sarifSchema(t)
	var reports []lint.Report
	for _, c := range cases {
		arch := c.arch
		if arch == "" {
			arch = "x86_64"
		}
		reports = append(reports, lint.Report{File: "p.json", Findings: check(t, c.profile, arch, c.noENOSYS)})
	}
	p, err := profile.Builtin("docker-default")
	if err != nil {
		t.Fatal(err)
	}
	res, err := build.Build(request(t, p, "x86_64"))
	if err != nil {
		t.Fatal(err)
	}
	fs, err := lint.Check(lint.Input{Profile: res.Profile, Resolved: res.Resolved, Policy: res.Policy})
	if err != nil {
		t.Fatal(err)
	}
	reports = append(reports, lint.Report{File: "docker-default", Findings: fs})
	// A policy without a profile (as lifted from a filter): no positions.
	fs, err = lint.Check(lint.Input{Name: "filter with spaces.bpf", Policy: res.Policy})
	if err != nil {
		t.Fatal(err)
	}
	reports = append(reports, lint.Report{File: "filter with spaces.bpf", Findings: fs})

	var buf bytes.Buffer
	if err := lint.WriteSARIF(&buf, reports, lint.Note); err != nil {
		t.Fatal(err)
	}
	if err := validate(t, schema, buf.Bytes()); err != nil {
		t.Fatalf("SARIF output does not validate: %v", err)
	}
	var log struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Rules []struct{ ID string }
				}
			}
			Results []struct {
				RuleID       string
				Level        string
				Suppressions []struct{ Kind string }
				Locations    []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }
						Region           *struct{ StartLine, StartColumn int }
					}
				}
			}
		}
	}
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	if len(run.Tool.Driver.Rules) != len(lint.Rules) {
		t.Errorf("%d rules in the driver, want %d", len(run.Tool.Driver.Rules), len(lint.Rules))
	}
	seen := map[string]bool{}
	suppressed, unpositioned := 0, 0
	for _, r := range run.Results {
		seen[r.RuleID] = true
		if len(r.Suppressions) > 0 {
			suppressed++
		}
		loc := r.Locations[0].PhysicalLocation
		if loc.Region == nil {
			unpositioned++
			if loc.ArtifactLocation.URI != "filter%20with%20spaces.bpf" {
				t.Errorf("uri %q", loc.ArtifactLocation.URI)
			}
		}
	}
	for _, r := range lint.Rules {
		if !seen[r.ID] {
			t.Errorf("no result for rule %s: the schema check did not cover it", r.ID)
		}
	}
	if suppressed == 0 || unpositioned == 0 {
		t.Errorf("%d suppressed and %d unpositioned results: both kinds must be checked", suppressed, unpositioned)
	}

	// The validator is not a rubber stamp.
	for name, bad := range map[string]string{
		"no version":       strings.Replace(buf.String(), `"version": "2.1.0",`, "", 1),
		"bad level":        strings.Replace(buf.String(), `"level": "warning"`, `"level": "serious"`, 1),
		"line 0":           strings.Replace(buf.String(), `"startLine": `, `"startLine": -`, 1),
		"unknown property": strings.Replace(buf.String(), `"ruleId":`, `"rule": "x", "ruleId":`, 1),
	} {
		if bad == buf.String() {
			t.Fatalf("%s: nothing replaced", name)
		}
		if err := validate(t, schema, []byte(bad)); err == nil {
			t.Errorf("%s: the schema accepted it", name)
		}
	}
}
