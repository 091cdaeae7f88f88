package dashboard

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/linkwatch/linkwatch"
)

// CSV import and export of links. The file's columns are named by its header
// row, in any order; csvColumns is what an export writes. Only the shape of
// a cell is checked here (a number is a number); whether a value is
// acceptable is the API's to say, as for a link created by hand.
var csvColumns = []string{"slug", "destination", "fallback_url", "tags", "redirect_code", "expires_at",
	"check_interval", "domain", "failover"}

// Bounds of an import: the upload's size and its number of rows (header
// excluded). Every row is validated through the API before any is created,
// so these also bound how long an import holds a request.
const (
	maxImportBytes = 1 << 20
	maxImportRows  = 2000
)

// linkRequest is the body of POST /api/v1/links as the dashboard sends it,
// from the new-link form or one CSV row. Empty fields are left out so the
// API applies its defaults.
type linkRequest struct {
	Slug          string   `json:"slug,omitempty"`
	Domain        string   `json:"domain,omitempty"`
	Destination   string   `json:"destination"`
	FallbackURL   string   `json:"fallback_url,omitempty"`
	Tags          []string `json:"tags,omitempty"`
	RedirectCode  int      `json:"redirect_code,omitempty"`
	ExpiresAt     string   `json:"expires_at,omitempty"`
	CheckInterval any      `json:"check_interval,omitempty"` // a duration string or a number of seconds
	Failover      string   `json:"failover,omitempty"`
}

// csvRow is one data row of an import: its line in the file (1 is the
// header) and the link it asks for.
type csvRow struct {
	Line int
	Req  linkRequest
}

// rowError is why one line of an import was refused.
type rowError struct {
	Line   int
	Field  string // the column, when one is to blame
	Reason string
}

func (e rowError) String() string {
	if e.Field != "" {
		return fmt.Sprintf("line %d, %s: %s", e.Line, e.Field, e.Reason)
	}
	return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
}

// parseCSV reads an import file: a header row naming its columns (csvColumns;
// destination is required, the others optional), then at most maxRows rows.
// It returns every row it could read and one rowError per bad row; a file it
// cannot read on (malformed quoting, too many rows, a bad header) ends with
// an error about that line. The caller imports nothing unless errs is empty.
func parseCSV(r io.Reader, maxRows int) (rows []csvRow, errs []rowError) {
	cr := csv.NewReader(skipBOM(r))
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, []rowError{{Line: 1, Reason: "the file is empty: the first line must name the columns (" + strings.Join(csvColumns, ",") + ")"}}
		}
		return nil, []rowError{csvReadError(err, 1)}
	}
	cols, herr := csvHeader(header)
	if herr != "" {
		return nil, []rowError{{Line: 1, Reason: herr}}
	}
	cr.FieldsPerRecord = len(header)
	last := 1 // the line of the last record read
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			errs = append(errs, csvReadError(err, last+1))
			var pe *csv.ParseError
			if errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount) {
				continue // the next record is still well delimited
			}
			return rows, errs
		}
		line, _ := cr.FieldPos(0)
		last = line
		if len(rows)+len(errs) >= maxRows {
			errs = append(errs, rowError{Line: line, Reason: fmt.Sprintf("the file has more than %d rows: split it", maxRows)})
			return rows, errs
		}
		if blank(rec) {
			continue
		}
		req, rerr := csvLink(cols, rec)
		if rerr != nil {
			rerr.Line = line
			errs = append(errs, *rerr)
			continue
		}
		rows = append(rows, csvRow{Line: line, Req: req})
	}
	if len(rows) == 0 && len(errs) == 0 {
		errs = append(errs, rowError{Line: 2, Reason: "the file has no rows below its header"})
	}
	return rows, errs
}

// skipBOM drops the UTF-8 byte order mark spreadsheets put before a CSV.
func skipBOM(r io.Reader) io.Reader {
	var bom [3]byte
	n, _ := io.ReadFull(r, bom[:])
	if n == 3 && bytes.Equal(bom[:], []byte("\xef\xbb\xbf")) {
		return r
	}
	return io.MultiReader(bytes.NewReader(bom[:n]), r)
}

func csvReadError(err error, line int) rowError {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		switch {
		case errors.Is(pe.Err, csv.ErrFieldCount):
			return rowError{Line: pe.Line, Reason: "the row does not have as many cells as the header has columns"}
		case errors.Is(pe.Err, csv.ErrQuote), errors.Is(pe.Err, csv.ErrBareQuote):
			return rowError{Line: pe.Line, Reason: "a quote is misplaced: quote a whole cell, and double quotes inside it"}
		}
		return rowError{Line: pe.Line, Reason: "the line is not valid CSV"}
	}
	return rowError{Line: line, Reason: "the file could not be read"}
}

// csvHeader maps each column of the header to its field, or says what is
// wrong with it.
func csvHeader(header []string) ([]string, string) {
	cols := make([]string, len(header))
	seen := map[string]bool{}
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		known := false
		for _, c := range csvColumns {
			known = known || c == name
		}
		switch {
		case !known:
			return nil, fmt.Sprintf("unknown column %q: the columns are %s", truncate(h, 40), strings.Join(csvColumns, ", "))
		case seen[name]:
			return nil, fmt.Sprintf("column %q is named twice", name)
		}
		seen[name] = true
		cols[i] = name
	}
	if !seen["destination"] {
		return nil, "the header has no destination column"
	}
	return cols, ""
}

func blank(rec []string) bool {
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// csvLink turns one row into a create request. Cells are trimmed; an empty
// cell leaves the field to the API's default.
func csvLink(cols, rec []string) (linkRequest, *rowError) {
	var req linkRequest
	for i, name := range cols {
		v := strings.TrimSpace(rec[i])
		if v == "" {
			continue
		}
		switch name {
		case "slug":
			req.Slug = v
		case "destination":
			req.Destination = v
		case "fallback_url":
			req.FallbackURL = v
		case "tags":
			req.Tags = csvTags(v)
		case "redirect_code":
			n, err := strconv.Atoi(v)
			if err != nil {
				return req, &rowError{Field: name, Reason: "redirect_code must be a number: 301, 302, 307 or 308"}
			}
			req.RedirectCode = n
		case "expires_at":
			req.ExpiresAt = v
		case "check_interval":
			req.CheckInterval = intervalValue(v)
		case "domain":
			req.Domain = v
		case "failover":
			req.Failover = v
		}
	}
	return req, nil
}

// csvTags reads a tags cell: tags separated by spaces, commas or
// semicolons (none of which a tag may contain).
func csvTags(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == ';' || r == '\t' })
}

// intervalValue is a check interval as the API reads it: a whole number is
// seconds, anything else a duration string ("90s", "5m").
func intervalValue(s string) any {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n
	}
	return s
}

// truncate shortens s for quoting in a message.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xc0 != 0x80 }

// writeCSV writes links as an import reads them back: the header, then one
// row per link. A link's expectations and pins are not carried: the file
// holds what a link is created with.
func writeCSV(w io.Writer, links []*linkwatch.Link) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvColumns); err != nil {
		return err
	}
	rec := make([]string, len(csvColumns))
	for _, l := range links {
		for i, c := range csvColumns {
			rec[i] = csvCell(l, c)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func csvCell(l *linkwatch.Link, col string) string {
	switch col {
	case "slug":
		return l.Slug
	case "destination":
		return l.Destination
	case "fallback_url":
		return l.FallbackURL
	case "tags":
		return strings.Join(l.Tags, " ")
	case "redirect_code":
		return strconv.Itoa(l.RedirectCode)
	case "expires_at":
		if l.ExpiresAt.IsZero() {
			return ""
		}
		return l.ExpiresAt.UTC().Format(time.RFC3339Nano)
	case "check_interval":
		return l.CheckInterval.String()
	case "domain":
		return l.Domain
	case "failover":
		// A pin is a moment's decision, not how the link is made: a pinned
		// link is exported as failing over automatically.
		if l.Failover == linkwatch.FailoverOff {
			return string(linkwatch.FailoverOff)
		}
		return string(linkwatch.FailoverAuto)
	}
	return ""
}
