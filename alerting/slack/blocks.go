package slack

import (
	"cmp"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/linkwatch/linkwatch/alerting"
)

// Slack's Block Kit limits, in characters, and our own rendering caps.
const (
	maxBlocks      = 50
	maxHeaderText  = 150
	maxSectionText = 3000
	maxFieldText   = 2000
	maxButtonText  = 75
	maxURL         = 3000
	maxFallback    = 3000
	maxHops        = 5
	// maxGroupLines is the largest group shown line by line (the engine
	// groups up to 50 alerts); larger ones end with "and N more".
	maxGroupLines = 50
	maxLine       = 300 // one line of a group
)

// Blocks renders a notification as a Block Kit message: a header with the
// state, rule and severity (an emoji and the word, so it reads without
// colour), then what broke, where, why and since when, the latest hops, and
// runbook and silence buttons. A group renders one line per alert. All user
// text is escaped for mrkdwn and cut to Slack's limits, so a message is never
// rejected for its content. Exported for golden tests.
func Blocks(n alerting.Notification) []slack.Block {
	blocks := []slack.Block{slack.NewHeaderBlock(plain(headerText(n), maxHeaderText))}
	if n.Summary != "" {
		blocks = append(blocks, section("*"+escape(n.Summary)+"*"))
	}
	tail := tailBlocks(n)
	if len(n.Recovered) > 0 {
		blocks = append(blocks, section("*Recovered* "+escape(strings.Join(n.Recovered, ", "))))
	}
	switch len(n.Alerts) {
	case 0:
	case 1:
		blocks = append(blocks, alertBlocks(n.Alerts[0])...)
	default:
		blocks = append(blocks, groupBlocks(n.Alerts, maxBlocks-len(blocks)-len(tail))...)
	}
	return append(blocks, tail...)
}

// headerText is "🚨 FIRING: link_down · 🔴 critical" (with Slack emoji
// codes); a resolution says RESOLVED.
func headerText(n alerting.Notification) string {
	state := ":rotating_light: FIRING"
	if n.Kind == alerting.KindResolved {
		state = ":white_check_mark: RESOLVED"
	}
	return fmt.Sprintf("%s: %s · %s", state, n.Rule, severity(n.Severity))
}

// severity is the severity's emoji and word.
func severity(s string) string {
	switch s {
	case alerting.SeverityCritical:
		return ":red_circle: critical"
	case alerting.SeverityWarning:
		return ":warning: warning"
	case alerting.SeverityInfo:
		return ":information_source: info"
	case "":
		return ":grey_question: unknown severity"
	}
	return ":grey_question: " + s
}

// alertBlocks describes a single alert: its fields, error and hops.
func alertBlocks(a alerting.Alert) []slack.Block {
	var fields []*slack.TextBlockObject
	field := func(name, value string) {
		if value != "" {
			fields = append(fields, mrkdwn(cut("*"+name+"*\n"+value, maxFieldText)))
		}
	}
	field("Link", code(escape(a.Link)))
	field("Short URL", escape(a.ShortURL))
	field("Destination", escape(a.Destination))
	field("Campaign", escape(strings.Join(a.Tags, ", ")))
	field("Monitor", escape(a.Monitor))
	field("Regions", escape(strings.Join(a.Regions, ", ")))
	field("Value", escape(a.Value)) // at most 7 fields: Slack allows 10
	var blocks []slack.Block
	if len(fields) > 0 {
		blocks = append(blocks, slack.NewSectionBlock(nil, fields, nil))
	}
	if a.ErrorClass != "" || a.Error != "" {
		blocks = append(blocks, section(strings.TrimSpace("*Error* "+code(escape(a.ErrorClass))+" "+escape(a.Error))))
	}
	if len(a.Hops) > 0 {
		var b strings.Builder
		b.WriteString("*Latest hops*")
		for i, h := range a.Hops {
			if i == maxHops {
				fmt.Fprintf(&b, "\n…and %d more", len(a.Hops)-maxHops)
				break
			}
			status := "error"
			if h.Status != 0 {
				status = fmt.Sprint(h.Status)
			}
			fmt.Fprintf(&b, "\n%d. `%s` %s", i+1, status, escape(cut(h.URL, maxLine)))
		}
		blocks = append(blocks, section(b.String()))
	}
	return blocks
}

// groupBlocks lists a group's alerts one line each, packed into as few
// sections as the text limit allows and at most budget blocks; what does not
// fit is counted in a last "and N more" line. What all alerts share
// (campaign, regions, error) is said once, in the first line.
func groupBlocks(alerts []alerting.Alert, budget int) []slack.Block {
	const room = maxSectionText - 40 // leaves room for "and N more"
	shared := alertParts(alerts[0])
	for _, a := range alerts[1:] {
		for i, p := range alertParts(a) {
			if p != shared[i] {
				shared[i] = ""
			}
		}
	}
	shared[0] = fmt.Sprintf("*%d alerts*", len(alerts))
	var blocks []slack.Block
	cur := cut(joinParts(shared, nil), maxLine)
	shown := 0
	for _, a := range alerts[:min(len(alerts), maxGroupLines)] {
		line := "• " + cmp.Or(cut(joinParts(alertParts(a), &shared), maxLine), "—")
		if utf8.RuneCountInString(cur)+1+utf8.RuneCountInString(line) <= room {
			cur += "\n" + line
		} else if len(blocks)+2 <= budget {
			blocks = append(blocks, section(cur))
			cur = line
		} else {
			break
		}
		shown++
	}
	if more := len(alerts) - shown; more > 0 {
		cur += fmt.Sprintf("\n_…and %d more_", more)
	}
	return append(blocks, section(cur))
}

// alertParts are the escaped parts of a group line: what broke ("`slug`
// short → destination", or the monitor), campaign tags, regions, and the
// error.
func alertParts(a alerting.Alert) [4]string {
	what := escape(a.Monitor)
	if a.Link != "" {
		what = strings.TrimSpace(code(escape(a.Link)) + " " + escape(a.ShortURL))
		if a.Destination != "" {
			what += " → " + escape(a.Destination)
		}
	}
	if l := link(a.HealthURL, "health"); l != "" {
		what += " " + l
	}
	return [4]string{what, escape(strings.Join(a.Tags, ", ")), escape(strings.Join(a.Regions, ", ")),
		strings.Trim(escape(a.ErrorClass+": "+a.Error), ": ")}
}

// joinParts joins the non-empty parts not already said in shared.
func joinParts(parts [4]string, shared *[4]string) string {
	var kept []string
	for i, p := range parts {
		if p != "" && (shared == nil || i == 0 || p != shared[i]) {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, " · ")
}

// link is a mrkdwn link to u, or "" when u is not a web URL mrkdwn can
// carry.
func link(u, text string) string {
	if !isWebURL(u) || strings.ContainsAny(u, "<>| ") || utf8.RuneCountInString(u) > maxURL {
		return ""
	}
	return "<" + u + "|" + text + ">"
}

// tailBlocks are the built-in runbook text (when the rule has no runbook
// URL), the runbook, health, status page and silence buttons, and the
// context line.
func tailBlocks(n alerting.Notification) []slack.Block {
	var blocks []slack.Block
	if n.RunbookURL == "" && n.Runbook != "" {
		blocks = append(blocks, section(":book: *Runbook* "+escape(n.Runbook)))
	}
	health := ""
	if len(n.Alerts) == 1 {
		health = n.Alerts[0].HealthURL
	}
	var buttons []slack.BlockElement
	for _, l := range []struct{ id, text, url string }{
		{"runbook", ":book: Runbook", n.RunbookURL},
		{"health", ":stethoscope: Link health", health},
		{"status", ":bar_chart: Status page", n.StatusURL},
		{"silence", ":no_bell: Silence", n.SilenceURL},
	} {
		if !isWebURL(l.url) || utf8.RuneCountInString(l.url) > maxURL {
			continue
		}
		b := slack.NewButtonBlockElement(l.id, l.id, plain(l.text, maxButtonText))
		b.URL = l.url
		buttons = append(buttons, b)
	}
	if len(buttons) > 0 {
		blocks = append(blocks, slack.NewActionBlock("", buttons...))
	}
	var ctx []string
	if !n.Since.IsZero() {
		ctx = append(ctx, "Since "+slackDate(n.Since))
	}
	switch n.Kind {
	case alerting.KindResolved:
		if !n.At.IsZero() {
			ctx = append(ctx, "Resolved "+slackDate(n.At))
		}
	case alerting.KindRepeat:
		ctx = append(ctx, "Still firing")
	}
	if l := labels(n.Labels); l != "" {
		ctx = append(ctx, l)
	}
	if len(ctx) > 0 {
		blocks = append(blocks, slack.NewContextBlock("", mrkdwn(cut(strings.Join(ctx, " · "), maxFieldText))))
	}
	return blocks
}

// labels renders labels sorted by name as "k=v, k=v", escaped.
func labels(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		keys[i] = escape(k + "=" + m[k])
	}
	return strings.Join(keys, ", ")
}

// fallbackText is the plain message text Slack shows in notifications and
// to clients that cannot render blocks.
func fallbackText(n alerting.Notification) string {
	state := "FIRING"
	if n.Kind == alerting.KindResolved {
		state = "RESOLVED"
	}
	s := fmt.Sprintf("%s: %s (%s)", state, n.Rule, n.Severity)
	if n.Summary != "" {
		s += ": " + n.Summary
	}
	if len(n.Alerts) > 1 {
		s += fmt.Sprintf(" (%d alerts)", len(n.Alerts))
	}
	return cut(escape(s), maxFallback)
}

// replyText is the thread reply to the original message when an alert
// repeats or resolves.
func replyText(n alerting.Notification) string {
	var s string
	switch n.Kind {
	case alerting.KindResolved:
		s = ":white_check_mark: *RESOLVED*"
		if !n.At.IsZero() {
			s += " " + slackDate(n.At)
		}
	default:
		s = ":repeat: *Still firing*"
		if !n.Since.IsZero() {
			s += " since " + slackDate(n.Since)
		}
	}
	if n.Summary != "" {
		s += ": " + escape(n.Summary)
	}
	if len(n.Alerts) > 1 {
		s += fmt.Sprintf(" (%d alerts)", len(n.Alerts))
	}
	return cut(s, maxFallback)
}

// slackDate formats t in each reader's time zone, with a UTC fallback for
// clients that cannot.
func slackDate(t time.Time) string {
	return fmt.Sprintf("<!date^%d^{date_short_pretty} {time}|%s>", t.Unix(), t.UTC().Format("2006-01-02 15:04 UTC"))
}

// escapeReplacer escapes the three characters mrkdwn gives a meaning to
// (links, mentions like <!channel>, entities).
var escapeReplacer = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func escape(s string) string { return escapeReplacer.Replace(s) }

// code renders s as inline code; backticks inside would end it early.
func code(s string) string {
	s = strings.ReplaceAll(s, "`", "'")
	if s == "" {
		return ""
	}
	return "`" + s + "`"
}

// cut shortens s to at most limit characters, ending with "…" when it cuts,
// and never inside an escape entity such as "&amp;".
func cut(s string, limit int) string {
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	runes := []rune(s)[:limit-1]
	if i := lastIndexRune(runes, '&'); i >= 0 && i > len(runes)-6 && lastIndexRune(runes[i:], ';') < 0 {
		runes = runes[:i]
	}
	return string(runes) + "…"
}

func lastIndexRune(rs []rune, r rune) int {
	for i := len(rs) - 1; i >= 0; i-- {
		if rs[i] == r {
			return i
		}
	}
	return -1
}

func plain(s string, limit int) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, cut(s, limit), true, false)
}

func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
}

func section(text string) *slack.SectionBlock {
	return slack.NewSectionBlock(mrkdwn(cut(text, maxSectionText)), nil, nil)
}

func isWebURL(s string) bool {
	return strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")
}
