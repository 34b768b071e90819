package spotest

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

//go:embed testdata/seccompprofile.crd.yaml
var crd embed.FS

// Group is the API group of SeccompProfile.
const Group = "security-profiles-operator.x-k8s.io"

var schemas = sync.OnceValues(func() (map[string]*jsonschema.Schema, error) {
	data, err := crd.ReadFile("testdata/seccompprofile.crd.yaml")
	if err != nil {
		return nil, err
	}
	var doc struct {
		Spec struct {
			Group    string `yaml:"group"`
			Versions []struct {
				Name   string `yaml:"name"`
				Schema struct {
					OpenAPIV3Schema any `yaml:"openAPIV3Schema"`
				} `yaml:"schema"`
			} `yaml:"versions"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("spotest: the CRD: %w", err)
	}
	if doc.Spec.Group != Group {
		return nil, fmt.Errorf("spotest: the CRD's group is %q", doc.Spec.Group)
	}
	out := map[string]*jsonschema.Schema{}
	for _, v := range doc.Spec.Versions {
		s, err := compile(v.Name, v.Schema.OpenAPIV3Schema)
		if err != nil {
			return nil, err
		}
		out[Group+"/"+v.Name] = s
	}
	return out, nil
})

func compile(version string, schema any) (*jsonschema.Schema, error) {
	// Through JSON: the validator takes JSON values (json.Number).
	b, err := json.Marshal(schema)
	if err != nil {
		return nil, err
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4) // OpenAPI v3's schemas are JSON Schema draft 4 and extensions
	c.AssertFormat()
	for name, bits := range map[string]uint{"int32": 32, "int64": 64} {
		c.RegisterFormat(&jsonschema.Format{Name: name, Validate: intFormat(bits)})
	}
	url := "crd-" + version + ".json"
	if err := c.AddResource(url, v); err != nil {
		return nil, err
	}
	return c.Compile(url)
}

// intFormat is Kubernetes' check of format int32/int64: the number must
// be an integer that fits.
func intFormat(bits uint) func(any) error {
	lo := new(big.Int).Neg(new(big.Int).Lsh(big.NewInt(1), bits-1))
	hi := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), bits-1), big.NewInt(1))
	return func(v any) error {
		n, ok := v.(json.Number)
		if !ok {
			return nil // not a number: the type check says so
		}
		i, ok := new(big.Int).SetString(n.String(), 10)
		if !ok {
			return fmt.Errorf("%s is not an integer", n)
		}
		if i.Cmp(lo) < 0 || i.Cmp(hi) > 0 {
			return fmt.Errorf("%s does not fit in int%d", n, bits)
		}
		return nil
	}
}

// Validate checks a SeccompProfile document (JSON or YAML) against the
// schema of the version its apiVersion names.
func Validate(doc []byte) error {
	all, err := schemas()
	if err != nil {
		return err
	}
	var v any
	if t := bytes.TrimSpace(doc); len(t) > 0 && t[0] == '{' {
		if v, err = jsonschema.UnmarshalJSON(bytes.NewReader(doc)); err != nil {
			return fmt.Errorf("spotest: not JSON: %w", err)
		}
	} else {
		var y any
		if err := yaml.Unmarshal(doc, &y); err != nil {
			return fmt.Errorf("spotest: not YAML: %w", err)
		}
		b, err := json.Marshal(y)
		if err != nil {
			return fmt.Errorf("spotest: %w", err)
		}
		if v, err = jsonschema.UnmarshalJSON(bytes.NewReader(b)); err != nil {
			return err
		}
	}
	m, _ := v.(map[string]any)
	api, _ := m["apiVersion"].(string)
	if kind, _ := m["kind"].(string); kind != "SeccompProfile" {
		return fmt.Errorf("spotest: kind %q, want SeccompProfile", kind)
	}
	s, ok := all[api]
	if !ok {
		var known []string
		for k := range all {
			known = append(known, k)
		}
		return fmt.Errorf("spotest: apiVersion %q is not one the CRD serves (%s)", api, strings.Join(known, ", "))
	}
	return s.Validate(v)
}
