package config

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"unicode"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/alerting"
	"github.com/linkwatch/linkwatch/statuspage"
	"go.yaml.in/yaml/v3"
)

// The file's structured sections (monitoring as code). They have no
// environment or flag form.
const (
	sectionChannels   = "channels"
	sectionRoutes     = "routes"
	sectionAlertRules = "alert_rules"
	sectionComponents = "status_components"
)

var sections = []string{sectionChannels, sectionRoutes, sectionAlertRules, sectionComponents}

func isSection(key string) bool { return slices.Contains(sections, key) }

// fileConfig is what the YAML file holds: the scalar settings, and the
// structured sections with each entry's node, for line numbers.
type fileConfig struct {
	path   string
	values map[string]string
	lines  map[string]int // the line of each setting's key

	channels  []alerting.ChannelSpec
	routes    []alerting.RouteSpec
	rules     []alerting.RuleSpec
	channelAt []*yaml.Node
	routeAt   []*yaml.Node
	ruleAt    []*yaml.Node
	comps     []statuspage.Component
	compAt    []*yaml.Node
}

// ChannelNames returns the names of every notification channel: the
// implicit ones the settings configure (slack, webhook, datadog) and those
// the file declares, sorted.
func (c *Config) ChannelNames() []string {
	var names []string
	for name := range c.implicitChannels() {
		names = append(names, name)
	}
	for _, ch := range c.Channels {
		names = append(names, ch.Name)
	}
	slices.Sort(names)
	return names
}

// implicitChannels maps the names of the channels the settings configure to
// the setting that configures each.
func (c *Config) implicitChannels() map[string]string {
	m := map[string]string{}
	switch {
	case c.SlackWebhookURL != "":
		m[alerting.ChannelSlack] = "slack_webhook_url (LINKWATCH_SLACK_WEBHOOK_URL)"
	case c.SlackToken != "":
		m[alerting.ChannelSlack] = "slack_token (LINKWATCH_SLACK_TOKEN)"
	}
	if c.WebhookURL != "" {
		m[alerting.ChannelWebhook] = "webhook_url (LINKWATCH_WEBHOOK_URL)"
	}
	switch {
	case c.DatadogAPIKey != "":
		m[alerting.ChannelDatadog] = "datadog_api_key (LINKWATCH_DATADOG_API_KEY)"
	case c.DogStatsDAddr != "":
		m[alerting.ChannelDatadog] = "dogstatsd_addr (LINKWATCH_DOGSTATSD_ADDR)"
	}
	return m
}

// errorAt formats an error about an entry of a section as one line:
//
//	config: <path>: line <n>: <section>[<i>] (<name>): <field>: <message>
func (f *fileConfig) errorAt(line int, what, field, msg string) error {
	if field != "" {
		msg = field + ": " + msg
	}
	return fmt.Errorf("config: %s: line %d: %s: %s", f.path, line, what, msg)
}

// parseSection decodes and checks one structured section: everything that
// does not depend on the other sources (names unique, channels valid,
// secrets expanded, matchers and rules compiled).
func (f *fileConfig) parseSection(key *yaml.Node, v *yaml.Node) error {
	d := &decoder{budget: decodeBudget}
	v = d.resolve(v)
	if v == nil {
		return fmt.Errorf("config: %s: line %d: %s: too many aliases", f.path, key.Line, key.Value)
	}
	if isNull(v) {
		return nil // declared empty
	}
	if v.Kind != yaml.SequenceNode {
		return fmt.Errorf("config: %s: line %d: %s must be a list", f.path, v.Line, key.Value)
	}
	for i, n := range v.Content {
		if n = d.resolve(n); n == nil {
			return fmt.Errorf("config: %s: line %d: %s: too many aliases", f.path, key.Line, key.Value)
		}
		what := entryName(key.Value, i, n)
		if n.Kind != yaml.MappingNode {
			return f.errorAt(n.Line, what, "", "must be a mapping")
		}
		var err error
		switch key.Value {
		case sectionChannels:
			err = f.parseChannel(d, n, what)
		case sectionRoutes:
			err = f.parseRoute(d, n, what)
		case sectionAlertRules:
			err = f.parseRule(d, n, what)
		case sectionComponents:
			err = f.parseComponent(d, n, what)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (f *fileConfig) decodeEntry(d *decoder, n *yaml.Node, what string, out any) error {
	if err := d.decode(n, reflect.ValueOf(out).Elem(), ""); err != nil {
		var fe *fieldError
		if errors.As(err, &fe) {
			return f.errorAt(fe.line, what, fe.field, fe.msg)
		}
		return f.errorAt(n.Line, what, "", err.Error())
	}
	return nil
}

// urlSecrets are the channel fields holding URLs that are credentials.
var urlSecrets = []struct {
	key   string
	field func(*alerting.ChannelSpec) *linkwatch.Secret
}{
	{"webhook_url", func(c *alerting.ChannelSpec) *linkwatch.Secret { return &c.WebhookURL }},
	{"url", func(c *alerting.ChannelSpec) *linkwatch.Secret { return &c.URL }},
}

func (f *fileConfig) parseChannel(d *decoder, n *yaml.Node, what string) error {
	var ch alerting.ChannelSpec
	if err := f.decodeEntry(d, n, what, &ch); err != nil {
		return err
	}
	for _, s := range urlSecrets {
		if v := s.field(&ch).Reveal(); v != "" && !httpURL(v) {
			// Never echo it: the URL may be (or carry) the credential.
			return f.errorAt(lineOf(n, s.key), what, s.key, "must be an absolute http(s) URL")
		}
	}
	if ch.APIURL != "" && !httpURL(ch.APIURL) {
		return f.errorAt(lineOf(n, "api_url"), what, "api_url", fmt.Sprintf("must be an absolute http(s) URL; got %q", ch.APIURL))
	}
	if err := ch.Validate(); err != nil {
		field, msg := fieldOf(err)
		msg = strings.TrimPrefix(msg, "channel "+ch.Name+": ")
		return f.errorAt(lineOf(n, field), what, field, msg)
	}
	for i, prev := range f.channels {
		if prev.Name == ch.Name {
			return f.errorAt(lineOf(n, "name"), what, "name", fmt.Sprintf("channel %q is already declared at line %d", ch.Name, f.channelAt[i].Line))
		}
	}
	f.channels, f.channelAt = append(f.channels, ch), append(f.channelAt, n)
	return nil
}

func (f *fileConfig) parseRoute(d *decoder, n *yaml.Node, what string) error {
	var r alerting.RouteSpec
	if err := f.decodeEntry(d, n, what, &r); err != nil {
		return err
	}
	// The route alone, over its own channels: whether they exist is checked
	// once every source is read.
	if _, err := alerting.NewRouter(r.Channels, []alerting.RouteSpec{r}); err != nil {
		field, msg := fieldOf(err)
		if rest, ok := strings.CutPrefix(field, "routes[0]"); ok {
			field = strings.TrimPrefix(rest, ".")
		} else {
			field, msg = "", err.Error()
		}
		line := n.Line
		if strings.HasPrefix(field, "match") {
			line = lineOf(n, "match")
		} else if len(r.Channels) == 0 {
			line = lineOf(n, "channels")
		}
		return f.errorAt(line, what, field, msg)
	}
	f.routes, f.routeAt = append(f.routes, r), append(f.routeAt, n)
	return nil
}

func (f *fileConfig) parseRule(d *decoder, n *yaml.Node, what string) error {
	var r alerting.RuleSpec
	if err := f.decodeEntry(d, n, what, &r); err != nil {
		return err
	}
	if _, err := r.Compile(); err != nil {
		field, msg := fieldOf(err)
		return f.errorAt(lineOf(n, field), what, field, msg)
	}
	for i, prev := range f.rules {
		if prev.Name == r.Name {
			return f.errorAt(lineOf(n, "name"), what, "name", fmt.Sprintf("rule %q is already declared at line %d", r.Name, f.ruleAt[i].Line))
		}
	}
	f.rules, f.ruleAt = append(f.rules, r), append(f.ruleAt, n)
	return nil
}

func (f *fileConfig) parseComponent(d *decoder, n *yaml.Node, what string) error {
	var c statuspage.Component
	if err := f.decodeEntry(d, n, what, &c); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		field, msg := fieldOf(err)
		return f.errorAt(lineOf(n, field), what, field, msg)
	}
	f.comps, f.compAt = append(f.comps, c), append(f.compAt, n)
	if err := statuspage.ValidateSet(f.comps); err != nil {
		field, msg := fieldOf(err)
		return f.errorAt(lineOf(n, field), what, field, msg)
	}
	return nil
}

// apply checks what the sections need of the other settings — channel names
// the settings reserve, the channels routes name — and stores the sections
// in c.
func (f *fileConfig) apply(c *Config) error {
	implicit := c.implicitChannels()
	for i, ch := range f.channels {
		n := f.channelAt[i]
		what := entryName(sectionChannels, i, n)
		if setting, ok := implicit[ch.Name]; ok {
			return f.errorAt(lineOf(n, "name"), what, "name", fmt.Sprintf("%q is the channel %s configures; choose another name", ch.Name, setting))
		}
		if ch.Type == alerting.ChannelDatadog && c.DogStatsDAddr == "" && c.DatadogAPIKey == "" {
			return f.errorAt(lineOf(n, "type"), what, "type", "a datadog channel needs dogstatsd_addr (LINKWATCH_DOGSTATSD_ADDR) or datadog_api_key (LINKWATCH_DATADOG_API_KEY)")
		}
	}
	c.Channels = f.channels
	names := c.ChannelNames()
	for i, r := range f.routes {
		n := f.routeAt[i]
		for j, name := range r.Channels {
			if slices.Contains(names, name) {
				continue
			}
			line := lineOf(n, "channels")
			if s := find(n, "channels"); s != nil && s.Kind == yaml.SequenceNode && j < len(s.Content) {
				line = s.Content[j].Line
			}
			known := "no channel is configured"
			if len(names) > 0 {
				known = "known: " + strings.Join(names, ", ")
			}
			return f.errorAt(line, entryName(sectionRoutes, i, n), "channels", fmt.Sprintf("unknown channel %q (%s)", name, known))
		}
	}
	if _, err := alerting.NewRouter(names, f.routes); err != nil {
		return fmt.Errorf("config: %s: %v", f.path, err)
	}
	c.Routes, c.AlertRules = f.routes, f.rules
	c.StatusComponents = f.comps
	return nil
}

// entryName names an entry in messages: alert_rules[1] (spring_scans_drop),
// or routes[0] when the entry has no printable name.
func entryName(section string, i int, n *yaml.Node) string {
	what := fmt.Sprintf("%s[%d]", section, i)
	if v := find(n, "name"); v != nil && v.Kind == yaml.ScalarNode && v.Value != "" && len(v.Value) <= 64 &&
		!strings.ContainsFunc(v.Value, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) {
		what += " (" + v.Value + ")"
	}
	return what
}

// fieldOf splits an error into the field it is about and its message.
func fieldOf(err error) (field, msg string) {
	var le *linkwatch.Error
	if errors.As(err, &le) && le.Code != linkwatch.EINTERNAL {
		return le.Field, le.Message
	}
	if f, m, ok := strings.Cut(err.Error(), ": "); ok && !strings.ContainsAny(f, " \"") {
		return f, m
	}
	return "", err.Error()
}

// lineOf returns the line of the key at the dotted path in mapping n, or of
// its deepest ancestor found, or of n itself.
func lineOf(n *yaml.Node, path string) int {
	line := n.Line
	if path == "" {
		return line
	}
	cur := n
	for _, k := range strings.Split(path, ".") {
		k, _, _ = strings.Cut(k, "[")
		key, val := findKey(cur, k, 0)
		if key == nil {
			break
		}
		line, cur = key.Line, val
	}
	return line
}

// find returns the value of key in mapping n, merges included, or nil.
func find(n *yaml.Node, key string) *yaml.Node {
	_, v := findKey(n, key, 0)
	return v
}

func findKey(n *yaml.Node, key string, depth int) (k, v *yaml.Node) {
	for n != nil && n.Kind == yaml.AliasNode && depth < 32 {
		n, depth = n.Alias, depth+1
	}
	if n == nil || n.Kind != yaml.MappingNode || depth >= 32 {
		return nil, nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if c := n.Content[i]; c.Kind == yaml.ScalarNode && c.Value == key && !isMerge(c) {
			v := n.Content[i+1]
			for j := 0; v.Kind == yaml.AliasNode && v.Alias != nil && j < 32; j++ {
				v = v.Alias
			}
			return c, v
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if !isMerge(n.Content[i]) {
			continue
		}
		m := n.Content[i+1]
		for m.Kind == yaml.AliasNode && m.Alias != nil && depth < 32 {
			m, depth = m.Alias, depth+1
		}
		if m.Kind == yaml.SequenceNode {
			for _, e := range m.Content {
				if k, v := findKey(e, key, depth+1); k != nil {
					return k, v
				}
			}
		} else if k, v := findKey(m, key, depth+1); k != nil {
			return k, v
		}
	}
	return nil, nil
}

func httpURL(v string) bool {
	u, err := url.Parse(v)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// decodeBudget bounds the nodes one section's decoding visits, aliases and
// merge keys followed: a few anchors must not expand into billions of nodes.
const decodeBudget = 100_000

// decoder decodes a node into a struct strictly: a key that names no field
// is an error, as yaml.Decoder.KnownFields does — but keeping the node's line
// numbers and the field's path. Scalars and lists of scalars are decoded by
// yaml itself; its errors are replaced by messages that never quote the
// value, which may be a secret.
type decoder struct {
	budget int
}

// fieldError is a decoding error at a line, about a dotted field path.
type fieldError struct {
	line  int
	field string
	msg   string
}

func (e *fieldError) Error() string { return e.field + ": " + e.msg }

var errBudget = errors.New("too many nodes: aliases or merge keys nest too deep")

// resolve follows aliases; nil when the budget is spent.
func (d *decoder) resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		if d.budget--; d.budget < 0 || n.Alias == nil {
			return nil
		}
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func isMerge(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge"
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) error {
	line := n.Line
	if d.budget--; d.budget < 0 {
		return &fieldError{line, path, errBudget.Error()}
	}
	if n = d.resolve(n); n == nil {
		return &fieldError{line, path, errBudget.Error()}
	}
	// A key replaces what a merge key set: merges are shallow.
	v.SetZero()
	t := v.Type()
	switch {
	case t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct:
		if isNull(n) {
			return nil
		}
		p := reflect.New(t.Elem())
		if err := d.decode(n, p.Elem(), path); err != nil {
			return err
		}
		v.Set(p)
		return nil
	case t.Kind() == reflect.Struct:
		if isNull(n) {
			return nil
		}
		if n.Kind != yaml.MappingNode {
			return &fieldError{n.Line, path, "must be a mapping"}
		}
		return d.mapping(n, v, yamlFields(t), path, map[string]bool{})
	}
	if t.Kind() == reflect.Map && n.Kind == yaml.MappingNode {
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i]; k.Kind == yaml.ScalarNode {
				if seen[k.Value] {
					return &fieldError{k.Line, path, fmt.Sprintf("%q appears twice", k.Value)}
				}
				seen[k.Value] = true
			}
		}
	}
	if err := n.Decode(v.Addr().Interface()); err != nil {
		return &fieldError{n.Line, path, "must be " + describe(t)}
	}
	return nil
}

// mapping decodes the keys of mapping n into struct v. Merge keys (<<) are
// applied first, so the mapping's own keys override them; seen holds the
// fields already set by the mapping itself.
func (d *decoder) mapping(n *yaml.Node, v reflect.Value, fields map[string][]int, path string, seen map[string]bool) error {
	if d.budget--; d.budget < 0 {
		return &fieldError{n.Line, path, errBudget.Error()}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if !isMerge(n.Content[i]) {
			continue
		}
		m := d.resolve(n.Content[i+1])
		if m == nil {
			return &fieldError{n.Content[i].Line, path, errBudget.Error()}
		}
		merged := []*yaml.Node{m}
		if m.Kind == yaml.SequenceNode {
			// Earlier mappings win: apply them last.
			merged = slices.Clone(m.Content)
			slices.Reverse(merged)
		}
		for _, e := range merged {
			if e = d.resolve(e); e == nil || e.Kind != yaml.MappingNode {
				return &fieldError{n.Content[i].Line, path, "<< must merge a mapping or a list of mappings"}
			}
			if err := d.mapping(e, v, fields, path, map[string]bool{}); err != nil {
				return err
			}
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if isMerge(k) {
			continue
		}
		idx, ok := fields[k.Value]
		if !ok || k.Kind != yaml.ScalarNode {
			return &fieldError{k.Line, path, unknownKey(k.Value, slices.Sorted(maps.Keys(fields)))}
		}
		if seen[k.Value] {
			return &fieldError{k.Line, path, fmt.Sprintf("%q appears twice", k.Value)}
		}
		seen[k.Value] = true
		if err := d.decode(val, v.FieldByIndex(idx), join(path, k.Value)); err != nil {
			return err
		}
	}
	return nil
}

// yamlFields maps the YAML keys of struct type t to field indexes, inlined
// structs included, as yaml names them: the tag's name, else the field's
// name lower-cased.
func yamlFields(t reflect.Type) map[string][]int {
	out := map[string][]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if slices.Contains(strings.Split(opts, ","), "inline") && f.Type.Kind() == reflect.Struct {
			for k, idx := range yamlFields(f.Type) {
				out[k] = append([]int{i}, idx...)
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = []int{i}
	}
	return out
}

// describe says what a value of type t is written as.
func describe(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Pointer:
		return describe(t.Elem())
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.String {
			return "a list of strings"
		}
		return "a list"
	case reflect.Map:
		if t.Elem().Kind() == reflect.String {
			return "a mapping of names to strings"
		}
		return "a mapping"
	}
	return "a " + t.String()
}
