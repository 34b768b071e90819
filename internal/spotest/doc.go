// Package spotest validates SeccompProfile documents against the
// Kubernetes Security Profiles Operator's published CRD schema (the
// openAPIV3Schema of the version a document names), for tests of every
// output sysfence writes in the spo format. The CRD is a copy kept in
// testdata (see its README for source, version and licence); the
// validator is github.com/santhosh-tekuri/jsonschema, with the integer
// formats Kubernetes checks (int32, int64) asserted.
package spotest
