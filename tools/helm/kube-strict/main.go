// kube-strict reads Kubernetes objects as multi-document YAML on stdin and decodes each one
// into its typed Go struct with strict decoding, the way the API server's strict field
// validation does: an unknown or duplicated field ("readinesProbe", a key at the wrong level)
// or a wrong type is an error. Kinds the client-go scheme does not know (CRDs such as KEDA's
// ScaledObject) are listed as skipped, to be checked some other way.
//
// Output: one JSON line per document, {"kind","name","status":"ok|error|skipped","error"}.
// Exit status 1 when any document fails.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"
)

type result struct {
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

func main() {
	decoder := serializer.NewCodecFactory(scheme.Scheme, serializer.EnableStrict).UniversalDeserializer()
	reader := utilyaml.NewYAMLReader(bufio.NewReader(os.Stdin))
	out := json.NewEncoder(os.Stdout)
	failed := false
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "kube-strict: reading stdin: %v\n", err)
			os.Exit(2)
		}
		var generic map[string]interface{}
		if err := yaml.Unmarshal(doc, &generic); err != nil {
			failed = true
			_ = out.Encode(result{Status: "error", Error: err.Error()})
			continue
		}
		if len(generic) == 0 { // a document of comments only, e.g. helm's "# Source:" lines
			continue
		}
		object := unstructured.Unstructured{Object: generic}
		res := result{Kind: object.GetKind(), Name: object.GetName(), Status: "ok"}
		if _, _, err := decoder.Decode(bytes.TrimSpace(doc), nil, nil); err != nil {
			if runtime.IsNotRegisteredError(err) {
				res.Status = "skipped"
			} else {
				res.Status, res.Error, failed = "error", err.Error(), true
			}
		}
		_ = out.Encode(res)
	}
	if failed {
		os.Exit(1)
	}
}
