package dashboard

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/linkwatch/linkwatch"
)

// importExportData is importexport.html's data.
type importExportData struct {
	Tags     []string // campaigns to export one of
	Errors   []rowError
	Message  string   // about the file as a whole
	Imported []string // the links an import created, as domain/slug
	Partial  bool     // an import stopped part-way (a row refused on create)
	MaxRows  int
	MaxBytes int
}

// importExportPage offers the export (every link, or one campaign's) and,
// to an admin session, the import form.
func (d *Dashboard) importExportPage() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		data, err := d.importExportData(r)
		if err != nil {
			d.failRead(w, r, err)
			return
		}
		d.render(w, r, http.StatusOK, "importexport", data)
	}
}

func (d *Dashboard) importExportData(r *http.Request) (*importExportData, error) {
	links, err := d.deps.Campaigns.ListLinks(r.Context(), linkwatch.LinkFilter{})
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	data := &importExportData{MaxRows: maxImportRows, MaxBytes: maxImportBytes >> 10}
	for _, l := range links {
		for _, t := range l.Tags {
			if !seen[t] {
				seen[t] = true
				data.Tags = append(data.Tags, t)
			}
		}
	}
	return data, nil
}

// exportCSV sends every link, or those of ?tag=, as CSV (writeCSV) to
// download.
func (d *Dashboard) exportCSV() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tag := r.URL.Query().Get("tag")
		if tag != "" && linkwatch.ValidateTags([]string{tag}) != nil {
			d.renderError(w, r, http.StatusBadRequest, "That is not a tag.")
			return
		}
		links, err := d.deps.Campaigns.ListLinks(r.Context(), linkwatch.LinkFilter{Tag: tag})
		if err != nil {
			d.failRead(w, r, err)
			return
		}
		var buf bytes.Buffer
		if err := writeCSV(&buf, links); err != nil {
			d.failRead(w, r, err)
			return
		}
		name := "linkwatch-links"
		if tag != "" {
			name += "-" + strings.NewReplacer("/", "-", ":", "-").Replace(tag)
		}
		name += "-" + d.now().UTC().Format("2006-01-02") + ".csv"
		h := w.Header()
		h.Set("Content-Type", "text/csv; charset=utf-8")
		h.Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
		h.Set("Cache-Control", "no-store")
		w.Write(buf.Bytes())
	}
}

// importCSV creates the links of an uploaded CSV, all or none: every row
// is parsed, then checked by the API exactly as its create would be (a dry
// run: validation, cycles, taken slugs), and two rows may not name the same
// link. Any bad row and nothing is created: the page lists each with its
// line and reason. Otherwise every row is created through the API; should
// one be refused even so (another change in the meantime), the import stops
// there and says which were created.
func (d *Dashboard) importCSV() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		data, err := d.importExportData(r)
		if err != nil {
			d.failRead(w, r, err)
			return
		}
		fail := func(msg string) {
			data.Message = msg
			d.render(w, r, http.StatusUnprocessableEntity, "importexport", data)
		}
		if r.MultipartForm == nil || len(r.MultipartForm.File["file"]) != 1 {
			fail("Choose one CSV file to import.")
			return
		}
		fh := r.MultipartForm.File["file"][0]
		if fh.Size > maxImportBytes {
			fail(fmt.Sprintf("The file is larger than %d KiB: split it.", maxImportBytes>>10))
			return
		}
		f, err := fh.Open()
		if err != nil {
			fail("The file could not be read.")
			return
		}
		defer f.Close()
		rows, errs := parseCSV(io.LimitReader(f, maxImportBytes), maxImportRows)
		// The rows that parsed are checked too, so one upload lists every
		// bad row, in file order.
		errs = append(errs, d.checkRows(r, rows)...)
		slices.SortStableFunc(errs, func(a, b rowError) int { return a.Line - b.Line })
		if len(errs) > 0 {
			data.Errors = errs
			fail(fmt.Sprintf("Nothing was imported: %d row%s must be fixed first.", len(errs), plural(len(errs))))
			return
		}
		for _, row := range rows {
			var created struct{ Slug, Domain string }
			if _, err := d.callAPI(r, http.MethodPost, "/links", row.Req, &created); err != nil {
				data.Partial = true
				data.Errors = []rowError{apiRowError(row.Line, err)}
				fail(fmt.Sprintf("The import stopped at line %d: %d link%s before it were created, none after.", row.Line, len(data.Imported), plural(len(data.Imported))))
				return
			}
			data.Imported = append(data.Imported, linkName(created.Domain, created.Slug))
		}
		d.log.Info("dashboard: links imported", "links", len(data.Imported), "by", sessionFrom(r.Context()).Token.Name)
		d.render(w, r, http.StatusOK, "importexport", data)
	}
}

// checkRows asks the API whether each row would be created (a dry run),
// and refuses a row naming a link an earlier row names.
func (d *Dashboard) checkRows(r *http.Request, rows []csvRow) []rowError {
	var errs []rowError
	first := map[string]int{}
	for _, row := range rows {
		var l struct{ Slug, Domain string }
		if _, err := d.callAPI(r, http.MethodPost, "/links?dry_run=true", row.Req, &l); err != nil {
			errs = append(errs, apiRowError(row.Line, err))
			continue
		}
		if row.Req.Slug == "" {
			continue // drawn at random when created
		}
		name := linkName(l.Domain, l.Slug)
		if line, ok := first[name]; ok {
			errs = append(errs, rowError{Line: row.Line, Field: "slug", Reason: fmt.Sprintf("line %d already creates %s", line, name)})
			continue
		}
		first[name] = row.Line
	}
	return errs
}

func apiRowError(line int, err error) rowError {
	if linkwatch.ErrorCode(err) == linkwatch.EINTERNAL {
		return rowError{Line: line, Reason: "the link could not be checked right now; try again in a moment"}
	}
	e := rowError{Line: line, Reason: linkwatch.ErrorMessage(err)}
	var le *linkwatch.Error
	if errors.As(err, &le) {
		e.Field = le.Field
	}
	return e
}

func linkName(domain, slug string) string {
	if domain == "" {
		return slug
	}
	return domain + "/" + slug
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
