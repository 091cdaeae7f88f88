package config

import (
	"flag"
	"fmt"
	"strings"
)

// Setting describes one setting for help texts.
type Setting struct {
	Key     string // the YAML key
	Flag    string // the flag's name, without dashes
	Env     string
	Default string
	Help    string
	// Type is how the value is written: bool, duration, int, string or URL.
	Type string
	// Group is the part of Linkwatch it configures, such as Listening,
	// Storage or Probing.
	Group string
}

// GroupOrder lists the settings' groups in the order help texts show them.
func GroupOrder() []string {
	return []string{"Configuration", "Listening", "Storage", "Logging", "Access", "Redirects", "Probing", "Alerting", "Status page"}
}

// kinds gives each setting's type and group.
func kinds() map[string][2]string {
	return map[string][2]string{
		"addr":                      {"string", "Listening"},
		"metrics_addr":              {"string", "Listening"},
		"public_url":                {"URL", "Listening"},
		"shutdown_timeout":          {"duration", "Listening"},
		"drain_delay":               {"duration", "Listening"},
		"client_timeout":            {"duration", "Listening"},
		"db":                        {"string", "Storage"},
		"result_retention":          {"duration", "Storage"},
		"rollup_retention":          {"duration", "Storage"},
		"log_format":                {"string", "Logging"},
		"log_level":                 {"string", "Logging"},
		"admin_token":               {"string", "Access"},
		"dashboard_session_ttl":     {"duration", "Access"},
		"country_header":            {"string", "Redirects"},
		"scan_queue_size":           {"int", "Redirects"},
		"scan_batch_size":           {"int", "Redirects"},
		"scan_flush_interval":       {"duration", "Redirects"},
		"region":                    {"string", "Probing"},
		"probe_allow_private":       {"bool", "Probing"},
		"probe_concurrency":         {"int", "Probing"},
		"probe_per_host":            {"int", "Probing"},
		"probe_timeout":             {"duration", "Probing"},
		"probe_confirm":             {"duration", "Probing"},
		"probe_refresh":             {"duration", "Probing"},
		"prober_retire_after":       {"duration", "Probing"},
		"dogstatsd_addr":            {"string", "Probing"},
		"alert_evaluation_interval": {"duration", "Alerting"},
		"alert_delivery_interval":   {"duration", "Alerting"},
		"slack_webhook_url":         {"URL", "Alerting"},
		"slack_token":               {"string", "Alerting"},
		"slack_channel":             {"string", "Alerting"},
		"slack_api_url":             {"URL", "Alerting"},
		"webhook_url":               {"URL", "Alerting"},
		"webhook_secret":            {"string", "Alerting"},
		"datadog_api_key":           {"string", "Alerting"},
		"datadog_api_url":           {"URL", "Alerting"},
		"status_title":              {"string", "Status page"},
		"status_time_zone":          {"string", "Status page"},
		"status_rebuild_interval":   {"duration", "Status page"},
		"subscribe_allow_private":   {"bool", "Status page"},
		"smtp_addr":                 {"string", "Status page"},
		"smtp_from":                 {"string", "Status page"},
		"smtp_username":             {"string", "Status page"},
		"smtp_password":             {"string", "Status page"},
		"smtp_tls":                  {"string", "Status page"},
	}
}

// Settings describes every setting, in the order they are declared.
func Settings() []Setting {
	k := kinds()
	var out []Setting
	for _, s := range settings() {
		out = append(out, Setting{Key: s.key, Flag: flagName(s.key), Env: s.env, Default: s.def, Help: s.help,
			Type: k[s.key][0], Group: k[s.key][1]})
	}
	return out
}

func flagName(key string) string { return strings.ReplaceAll(key, "_", "-") }

// ConfigFlag is the flag naming the YAML file.
const ConfigFlag = "config"

// Flags registers every setting, and --config, on fs. Call Load after
// fs.Parse.
func Flags(fs *flag.FlagSet) {
	var keys []string
	for _, s := range settings() {
		keys = append(keys, s.key)
	}
	FlagsFor(fs, keys...)
}

// FlagsFor registers --config and the flags of the settings keys only: a
// command offers the flags of the settings it uses. The other settings are
// still read from the file and the environment by Load. An unknown key is a
// programming error and panics.
func FlagsFor(fs *flag.FlagSet, keys ...string) {
	all := map[string]setting{}
	for _, s := range settings() {
		all[s.key] = s
	}
	fs.String(ConfigFlag, "", "YAML configuration file (env LINKWATCH_CONFIG)")
	for _, k := range keys {
		s, ok := all[k]
		if !ok {
			panic("config: no setting " + k)
		}
		fs.String(flagName(s.key), "", fmt.Sprintf("%s (env %s, default %q)", s.help, s.env, s.def))
	}
}
