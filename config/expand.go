package config

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// expand replaces each ${NAME} in s with the environment variable's value
// and each $$ with a single $. Only the braced form is expanded, so a lone
// '$' stays as written; a variable that is unset or empty is an error naming
// it. Errors never quote s, which may be a secret.
func expand(s string, getenv func(string) string) (string, error) {
	if !strings.Contains(s, "$") {
		return s, nil
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '$')
		if i < 0 || i == len(s)-1 {
			b.WriteString(s)
			return b.String(), nil
		}
		b.WriteString(s[:i])
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			s = s[i+2:]
		case '{':
			j := strings.IndexByte(s[i:], '}')
			if j < 0 || !envName.MatchString(s[i+2:i+j]) {
				return "", errors.New("${ must enclose an environment variable name, as in ${SLACK_TOKEN} (write $$ for a literal $)")
			}
			name := s[i+2 : i+j]
			v := getenv(name)
			if v == "" {
				return "", fmt.Errorf("environment variable %s is empty or not set", name)
			}
			b.WriteString(v)
			s = s[i+j+1:]
		default:
			b.WriteByte('$')
			s = s[i+1:]
		}
	}
}

// expandFile applies expand to every scalar value of the file — settings
// and sections alike, keys never — before anything reads it: the one place
// ${VAR} is resolved. A value holding a reference is typed by what it
// expands to, so `limit: "${LIMIT}"` is a number when LIMIT is one. Aliases are not
// followed: the anchored value they point at is expanded where it stands.
func expandFile(path string, root *yaml.Node, getenv func(string) string) error {
	// what names the setting or section entry, only on error: an entry's
	// name is looked up through merge keys, which may nest deep.
	var walk func(n *yaml.Node, what func() string, field string) error
	walk = func(n *yaml.Node, what func() string, field string) error {
		switch n.Kind {
		case yaml.ScalarNode:
			if !strings.Contains(n.Value, "$") {
				return nil
			}
			v, err := expand(n.Value, getenv)
			if err != nil {
				name := what()
				if field != "" {
					name += ": " + field
				}
				return fmt.Errorf("config: %s: line %d: %s: %s", path, n.Line, name, err)
			}
			if strings.Contains(n.Value, "${") && n.Style&yaml.TaggedStyle == 0 {
				// Typed by the expanded text, quoted or not: quotes around a
				// reference are YAML syntax in {…}, not a type.
				n.Tag, n.Style = "", 0
			}
			n.Value = v
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i]
				if isMerge(k) {
					continue
				}
				if err := walk(n.Content[i+1], what, join(field, k.Value)); err != nil {
					return err
				}
			}
		case yaml.SequenceNode:
			for i, e := range n.Content {
				if err := walk(e, what, fmt.Sprintf("%s[%d]", field, i)); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if root.Kind != yaml.MappingNode {
		return nil // reported by the caller
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Kind == yaml.ScalarNode && isSection(k.Value) && v.Kind == yaml.SequenceNode {
			for j, e := range v.Content {
				if err := walk(e, func() string { return entryName(k.Value, j, e) }, ""); err != nil {
					return err
				}
			}
			continue
		}
		if err := walk(v, func() string { return k.Value }, ""); err != nil {
			return err
		}
	}
	return nil
}
