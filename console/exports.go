package console

import (
	"fmt"
	"html"
	"html/template"
	"net/url"
	"strings"

	"github.com/loquat-dev/loquat/projections"
)

// listURL is the API list a console table shows, with the page's filters:
// the table's 下载 links are it with format=xlsx|csv added, so a download
// is the whole list the table pages (the API refuses limit beside format)
// and the session cookie authenticates it as it does the page.
func listURL(path string, p projections.Period, filters ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(filters); i += 2 {
		if filters[i+1] != "" {
			q.Set(filters[i], filters[i+1])
		}
	}
	if p.From != "" {
		q.Set("from", p.From)
	}
	if p.To != "" {
		q.Set("to", p.To)
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// setExport records the API list behind the table with id table.
func (v *view) setExport(table, list string) {
	if v.Exports == nil {
		v.Exports = map[string]string{}
	}
	v.Exports[table] = list
}

// Downloads are the 下载 Excel / CSV links of a table, none when the page
// has not said which list it shows.
func (v view) Downloads(table string) template.HTML {
	list, ok := v.Exports[table]
	if !ok {
		return ""
	}
	sep := "?"
	if strings.Contains(list, "?") {
		sep = "&"
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<p class="downloads" data-for="%s">`, html.EscapeString(table))
	for i, f := range []string{"xlsx", "csv"} {
		if i > 0 {
			b.WriteString(" · ")
		}
		fmt.Fprintf(&b, `<a class="download" data-format="%s" href="%s" download>%s</a>`,
			f, html.EscapeString(list+sep+"format="+f), html.EscapeString(v.T("download."+f)))
	}
	b.WriteString("</p>")
	return template.HTML(b.String()) // every part escaped above
}
