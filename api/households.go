package api

import (
	"bytes"
	"cmp"
	"fmt"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"
	"github.com/xuri/excelize/v2"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/internal/export"
	"github.com/loquat-dev/loquat/projections"
)

// xlsxType is the media type of an .xlsx workbook.
const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

func (h *handlers) statement(c *gin.Context, q query) {
	id, err := pathID(c, false)
	if err != nil {
		h.fail(c, err)
		return
	}
	st, err := h.q.ScopedStatement(c.Request.Context(), h.scope(c), id, q.period)
	if err != nil {
		h.fail(c, err)
		return
	}
	if q.format == export.XLSX {
		h.sendXLSX(c, "statement-"+id+".xlsx", func(w *sheet) { statementSheet(w, st) })
		return
	}
	c.JSON(http.StatusOK, st)
}

// monitoring answers the monitoring list; format=csv|xlsx exports every
// row (withExport), as every list does.
func (h *handlers) monitoring(c *gin.Context, q query) {
	mq := projections.MonitoringQuery{To: q.period.To, VillageID: q.villageID, Reason: q.reason, Category: q.category, Paging: q.paging}
	out, err := h.q.ScopedMonitoring(c.Request.Context(), h.scope(c), mq)
	h.respond(c, out, err)
}

func (h *handlers) livestreamSessions(c *gin.Context, _ query) {
	id, err := pathID(c, true)
	if err != nil {
		h.fail(c, err)
		return
	}
	out, err := h.q.ScopedLivestreamSessions(c.Request.Context(), h.scope(c), id)
	h.respond(c, out, err)
}

// sheet writes one worksheet row by row; money goes in as yuan, numeric
// cells formatted 0.00, so Excel sums them.
type sheet struct {
	f    *excelize.File
	name string
	row  int
	yuan int // the 0.00 style
	err  error
	bold int // the headings' style
}

// line appends a row; a domain.Fen cell is written in yuan.
func (w *sheet) line(cells ...any) {
	w.row++
	for i, v := range cells {
		if w.err != nil {
			return
		}
		cell, err := excelize.CoordinatesToCellName(i+1, w.row)
		if err != nil {
			w.err = err
			return
		}
		if fen, ok := v.(domain.Fen); ok {
			w.err = w.f.SetCellFloat(w.name, cell, float64(fen)/100, 2, 64)
			if w.err == nil {
				w.err = w.f.SetCellStyle(w.name, cell, cell, w.yuan)
			}
			continue
		}
		w.err = w.f.SetCellValue(w.name, cell, v)
	}
}

// header appends a row of bold headings.
func (w *sheet) header(cells ...any) {
	w.line(cells...)
	if w.err != nil || len(cells) == 0 {
		return
	}
	last, _ := excelize.CoordinatesToCellName(len(cells), w.row)
	w.err = w.f.SetCellStyle(w.name, fmt.Sprintf("A%d", w.row), last, w.bold)
}

// sendXLSX answers a one-sheet workbook written by fill.
func (h *handlers) sendXLSX(c *gin.Context, filename string, fill func(*sheet)) {
	f := excelize.NewFile()
	defer f.Close()
	w := &sheet{f: f, name: "Sheet1"}
	format := "0.00"
	if w.yuan, w.err = f.NewStyle(&excelize.Style{CustomNumFmt: &format}); w.err == nil {
		w.bold, w.err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	}
	if w.err == nil {
		fill(w)
	}
	var buf bytes.Buffer
	if w.err == nil {
		w.err = f.Write(&buf)
	}
	if w.err != nil {
		h.fail(c, fmt.Errorf("write %s: %w", filename, w.err))
		return
	}
	c.Header("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(filename))
	c.Data(http.StatusOK, xlsxType, buf.Bytes())
}

// entryKinds and categoryName are the workbooks' Chinese for the codes.
var (
	entryKinds   = map[domain.EntryKind]string{domain.EntrySale: "销售分成", domain.EntryRefund: "退款分成"}
	categoryName = map[string]string{domain.CategoryOperating: "经营性", domain.CategoryWage: "工资性",
		domain.CategoryProperty: "财产性", domain.CategoryTransfer: "转移性"}
)

// statementSheet writes a statement: the household, its lines, its income
// records, then the totals block.
func statementSheet(w *sheet, st projections.Statement) {
	w.header("农户收入对账单")
	w.line("农户编号", st.HouseholdID, "村", st.VillageID, "类别", st.Category)
	w.line("期间", cmp.Or(st.Period.From, "开始"), "至", cmp.Or(st.Period.To, "今天"))
	w.line()
	w.header("时间", "类型", "平台", "订单号", "行号", "产品", "企业", "直播间", "金额(元)")
	for _, l := range st.Lines {
		w.line(l.At, entryKinds[l.Kind], l.Platform, l.OrderID, l.LineID, l.Product, l.EnterpriseID, l.LivestreamID, l.AmountFen)
	}
	w.line()
	w.header("时间", "收入种类", "类别", "付款企业", "凭证号", "金额(元)")
	for _, in := range st.Income {
		w.line(in.At, in.Kind, categoryName[in.Category], in.PayerID, in.Reference, in.AmountFen)
	}
	w.line()
	w.header("合计", "金额(元)")
	w.line("销售分成", st.AttributedSalesFen)
	w.line("记录收入", st.RecordedIncomeFen)
	w.line("收入增加", st.IncomeGainFen)
	w.line("经营性收入", st.IncomeByCategory.OperatingFen)
	w.line("工资性收入", st.IncomeByCategory.WageFen)
	w.line("财产性收入", st.IncomeByCategory.PropertyFen)
	w.line("转移性收入", st.IncomeByCategory.TransferFen)
	w.line("人均纯收入", st.PerCapitaIncomeFen)
	w.line("监测线", st.MonitoringLineFen)
	if len(st.Corrections) > 0 {
		// The lines and income above already count them; these say who
		// changed what, when and why.
		w.line()
		w.header("更正时间", "操作", "对象", "操作人", "原因", "变动(元)")
		for _, c := range st.Corrections {
			w.line(c.At, correctionActions[c.Action], c.Target, c.Operator, c.Reason, c.DeltaFen)
		}
	}
}

// correctionActions is the workbooks' Chinese for a correction's action.
var correctionActions = map[domain.CorrectionAction]string{domain.CorrectVoid: "作废", domain.CorrectAmend: "更改金额",
	domain.CorrectAcceptConflict: "采用新版本", domain.CorrectKeepConflict: "保留原版本"}
