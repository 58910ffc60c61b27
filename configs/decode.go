package configs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Decode reads one YAML document from r into cfg strictly: every key must be
// a known option, no key may appear twice, and every value must have the
// option's type. Keys absent from the document leave cfg's values alone, so
// decoding over Default() yields the defaults plus the file.
//
// yaml.v3's Decoder.KnownFields reports an unknown key by its bare name and
// the Go type it missed ("field clinet not found in type configs.Listeners");
// walking the node tree ourselves gives the dotted key and line an admin can
// act on ("listeners.clinet (line 4): unknown key"), and names the key in
// type errors too. It returns the dotted keys the document set.
func Decode(r io.Reader, cfg *Config) (set []string, err error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(r)
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil // an empty file sets nothing
		}
		return nil, fmt.Errorf("%w: %v", ErrWrongType, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: more than one YAML document", ErrWrongType)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return nil, nil
		}
		root = root.Content[0]
	}
	if isNull(root) {
		return nil, nil
	}
	w := walker{}
	w.mapping(root, reflect.ValueOf(cfg).Elem(), "")
	return w.set, errors.Join(w.errs...)
}

type walker struct {
	set  []string
	errs []error
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func line(n *yaml.Node) string { return fmt.Sprintf("line %d", n.Line) }

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// mapping decodes a YAML mapping into the struct v, whose fields are found
// by their yaml tags.
func (w *walker) mapping(n *yaml.Node, v reflect.Value, prefix string) {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind != yaml.MappingNode {
		name := prefix
		if name == "" {
			name = "(top level)"
		}
		w.errs = append(w.errs, keyErr(name, line(n), fmt.Errorf("%w: want a mapping of keys", ErrWrongType)))
		return
	}
	fields := yamlFields(v.Type())
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], n.Content[i+1]
		key := join(prefix, kn.Value)
		if kn.Kind != yaml.ScalarNode || kn.Tag == "!!merge" {
			w.errs = append(w.errs, keyErr(key, line(kn), fmt.Errorf("%w: keys must be plain names", ErrWrongType)))
			continue
		}
		if first, dup := seen[kn.Value]; dup {
			w.errs = append(w.errs, keyErr(key, line(kn), fmt.Errorf("%w (first at line %d)", ErrDuplicateKey, first)))
			continue
		}
		seen[kn.Value] = kn.Line
		idx, ok := fields[kn.Value]
		if !ok {
			w.errs = append(w.errs, keyErr(key, line(kn), ErrUnknownKey))
			continue
		}
		f := v.Field(idx)
		if f.Kind() == reflect.Struct {
			if isNull(vn) {
				continue
			}
			w.mapping(vn, f, key)
			continue
		}
		if k := f.Kind(); k == reflect.Slice || k == reflect.Map {
			w.collection(vn, f, key)
			continue
		}
		w.scalar(vn, f, key)
	}
}

// collection decodes a list or mapping option (trusted_key_servers,
// federation_addresses) strictly: unknown keys inside its entries are
// errors too. A null leaves the current value in place.
func (w *walker) collection(n *yaml.Node, f reflect.Value, key string) {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	w.set = append(w.set, key)
	if isNull(n) {
		return
	}
	want := yaml.MappingNode
	if f.Kind() == reflect.Slice {
		want = yaml.SequenceNode
	}
	if n.Kind != want {
		w.errs = append(w.errs, keyErr(key, line(n), fmt.Errorf("%w: want a %s", ErrWrongType, map[bool]string{true: "list", false: "mapping"}[want == yaml.SequenceNode])))
		return
	}
	raw, err := yaml.Marshal(n)
	if err != nil {
		w.errs = append(w.errs, keyErr(key, line(n), fmt.Errorf("%w: %v", ErrWrongType, err)))
		return
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	tmp := reflect.New(f.Type())
	if err := dec.Decode(tmp.Interface()); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			err = fmt.Errorf("%w: %s", ErrWrongType, strings.Join(te.Errors, "; "))
		}
		w.errs = append(w.errs, keyErr(key, line(n), err))
		return
	}
	f.Set(tmp.Elem())
}

// scalar decodes one leaf value. A null leaves the current value in place,
// as yaml.v3 does.
func (w *walker) scalar(n *yaml.Node, f reflect.Value, key string) {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if isNull(n) {
		w.set = append(w.set, key)
		return
	}
	if n.Kind != yaml.ScalarNode {
		w.errs = append(w.errs, keyErr(key, line(n), fmt.Errorf("%w: want a single value, not a list or mapping", ErrWrongType)))
		return
	}
	tmp := reflect.New(f.Type())
	if err := n.Decode(tmp.Interface()); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			err = fmt.Errorf("%w: %s", ErrWrongType, strings.Join(te.Errors, "; "))
		}
		w.errs = append(w.errs, keyErr(key, line(n), err))
		return
	}
	f.Set(tmp.Elem())
	w.set = append(w.set, key)
}

// yamlFields maps yaml key names to struct field indexes.
func yamlFields(t reflect.Type) map[string]int {
	m := make(map[string]int, t.NumField())
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		m[name] = i
	}
	return m
}

// Keys lists every option of Config as a dotted YAML key, in field order.
// Documentation tests use it so that README and sample cannot drift.
func Keys() []string {
	var out []string
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for i := range t.NumField() {
			sf := t.Field(i)
			name, _, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
			if !sf.IsExported() || name == "" || name == "-" {
				continue
			}
			key := join(prefix, name)
			if sf.Type.Kind() == reflect.Struct {
				walk(sf.Type, key)
				continue
			}
			out = append(out, key)
		}
	}
	walk(reflect.TypeFor[Config](), "")
	return out
}
