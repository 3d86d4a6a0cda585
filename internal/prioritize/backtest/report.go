package backtest

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is one EPSS date's backtest: the population, where each input
// came from, and the evaluations (one per label window).
type Report struct {
	Date        string       `json:"date"` // D
	EPSSModel   string       `json:"epss_model"`
	EPSSFile    string       `json:"epss_file,omitempty"`
	KEVCatalog  string       `json:"kev_catalog"`
	KEVReleased string       `json:"kev_released"`
	CVSSFile    string       `json:"cvss_file,omitempty"`
	Policy      string       `json:"policy"`
	Population  Population   `json:"population"`
	EPSSRows    int          `json:"epss_rows"`
	ExcludedKEV int          `json:"excluded_kev_at_d"`
	KEVKnownTo  string       `json:"kev_excluded_until"`         // last dateAdded excluded: D, or --exclude-kev-until
	NoCVSS      int          `json:"excluded_no_cvss,omitempty"` // PopulationScored
	WithoutCVSS int          `json:"without_cvss,omitempty"`     // PopulationEPSS
	Size        int          `json:"population_size"`
	V3          int          `json:"population_v3"`
	Inputs      []InputNote  `json:"inputs"`
	Evaluations []Evaluation `json:"evaluations"`
}

// Report evaluates the dataset for each horizon. With none given it uses
// NoHorizon, plus TwelveMonths when the KEV catalog covers twelve months
// after D.
func (ds *Dataset) Report(epssFile, cvssFile string, horizons ...Horizon) Report {
	if len(horizons) == 0 {
		horizons = ds.DefaultHorizons()
	}
	r := Report{
		Date: ds.Date.Format("2006-01-02"), EPSSModel: ds.Model, EPSSFile: epssFile,
		KEVCatalog: ds.kev.Version, KEVReleased: ds.kev.Released.Format("2006-01-02"), CVSSFile: cvssFile,
		Policy: ds.Policy, Population: ds.Population, EPSSRows: ds.EPSSRows, ExcludedKEV: ds.ExcludedKEV,
		KEVKnownTo: ds.KEVKnownUntil.Format("2006-01-02"), NoCVSS: ds.ExcludedNoCVSS, WithoutCVSS: ds.WithoutCVSS, Size: ds.Size, V3: ds.V3, Inputs: ds.Inputs(),
	}
	for _, h := range horizons {
		r.Evaluations = append(r.Evaluations, ds.Evaluate(h))
	}
	return r
}

// DefaultHorizons is NoHorizon, plus TwelveMonths when the catalog covers it.
func (ds *Dataset) DefaultHorizons() []Horizon {
	hs := []Horizon{NoHorizon}
	if !TwelveMonths.End(ds.Date).After(ds.kev.Released.UTC().Truncate(day)) {
		hs = append(hs, TwelveMonths)
	}
	return hs
}

func pct(v float64, prec int) string { return strconv.FormatFloat(100*v, 'f', prec, 64) + "%" }

func thousands(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func (r *Report) header() []string {
	lines := []string{fmt.Sprintf("EPSS %s (model %s) · KEV %s (released %s) · policy %s", r.Date, orDash(r.EPSSModel), r.KEVCatalog, r.KEVReleased, r.Policy)}
	at := "at D"
	if r.KEVKnownTo != "" && r.KEVKnownTo != r.Date {
		at = "by " + r.KEVKnownTo
	}
	pop := fmt.Sprintf("population (%s): %s EPSS rows − %s in KEV %s", r.Population, thousands(r.EPSSRows), thousands(r.ExcludedKEV), at)
	if r.NoCVSS > 0 {
		pop += " − " + thousands(r.NoCVSS) + " without a CVSS row"
	}
	pop += fmt.Sprintf(" = %s CVEs (%s with a v3 score", thousands(r.Size), thousands(r.V3))
	if r.WithoutCVSS > 0 {
		pop += ", " + thousands(r.WithoutCVSS) + " without a CVSS row"
	}
	return append(lines, pop+")")
}

func (e *Evaluation) header(d string) string {
	s := fmt.Sprintf("labels: horizon %s, KEV dateAdded in (%s, %s]: %d added, %d in the EPSS file, %d in the population",
		e.Horizon, d, e.LabelEnd.Format("2006-01-02"), e.KEVAdded, e.InEPSS, e.Positives)
	if e.NoCVSS > 0 {
		s += fmt.Sprintf(" (%d without a CVSS row)", e.NoCVSS)
	}
	if !e.Complete {
		s += " — INCOMPLETE: the KEV catalog ends before the horizon"
	}
	return s
}

func covCI(c float64, ci [2]float64) string {
	return fmt.Sprintf("%s [%s–%s]", pct(c, 1), strconv.FormatFloat(100*ci[0], 'f', 1, 64), pct(ci[1], 1))
}

func (b *BudgetResult) tieText() string {
	if b.Tie == nil {
		return "-"
	}
	t := b.Tie
	return fmt.Sprintf("%s–%s, random %s (%s of %s tied, %d pos.)", strconv.FormatFloat(100*t.MinCoverage, 'f', 1, 64), pct(t.MaxCoverage, 1), pct(t.MeanCoverage, 1), thousands(t.Taken), thousands(t.Size), t.Positives)
}

func pairedText(p *Paired) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("+%d/−%d p%s", p.OnlyThis, p.OnlyOther, pval(p.P))
}

// pval is "=0.64", "=0.003" or "<0.001".
func pval(p float64) string {
	switch {
	case p >= 0.1:
		return "=" + strconv.FormatFloat(p, 'f', 2, 64)
	case p >= 0.001:
		return "=" + strconv.FormatFloat(p, 'f', 3, 64)
	}
	return "<0.001"
}

func budgetName(b BudgetResult) string {
	if strings.HasSuffix(b.Budget, "%") {
		return b.Budget
	}
	return b.Budget + " (" + pct(b.Effort, 1) + ")"
}

// WriteText writes reports as aligned tables.
func WriteText(w io.Writer, reports []Report) error {
	for n, r := range reports {
		if n > 0 {
			fmt.Fprintln(w)
		}
		for _, l := range r.header() {
			fmt.Fprintln(w, l)
		}
		for _, e := range r.Evaluations {
			fmt.Fprintln(w)
			fmt.Fprintln(w, e.header(r.Date))
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "STRATEGY\tFLAGGED\tEFFORT\tHITS\tCOVERAGE [95% CI]\tEFFICIENCY")
			for _, ru := range e.Rules {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", ru.Strategy, thousands(ru.Flagged), pct(ru.Effort, 2), ru.Hits, covCI(ru.Coverage, ru.CoverageCI), pct(ru.Efficiency, 2))
			}
			tw.Flush()
			fmt.Fprintln(w)
			tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "RANKING\tBUDGET\tK\tHITS\tCOVERAGE [95% CI]\tEFFICIENCY\tIF TIES BROKEN OTHERWISE\tVS CVSS\tVS EPSS")
			for _, rr := range e.Rankings {
				for _, b := range rr.Budgets {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n", rr.Strategy, budgetName(b), thousands(b.K), b.Hits, covCI(b.Coverage, b.CoverageCI), pct(b.Efficiency, 2), b.tieText(), pairedText(b.VsCVSS), pairedText(b.VsEPSS))
				}
			}
			tw.Flush()
			fmt.Fprintln(w)
			tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
			if len(e.Rankings) > 0 {
				m := e.Rankings[0].MatchCVSS7
				fmt.Fprintf(tw, "RANKING\tEFFORT TO COVER %d (= CVSS ≥ 7)\tK\tRATIO TO CVSS ≥ 7\tK, RANDOM TIE-BREAK\n", m.Hits)
			}
			for _, rr := range e.Rankings {
				m := rr.MatchCVSS7
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", rr.Strategy, pct(m.Effort, 2), thousands(m.K), strconv.FormatFloat(m.Ratio, 'f', 3, 64), thousands(int(m.MeanK+0.5)))
			}
			tw.Flush()
			fmt.Fprintln(w)
			tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "POLICY\tBAND\tTHREAT\tTECHNICAL IMPACT\tAUTOMATABLE\tCVES\tLATER-KEV\tRATE")
			for _, g := range e.Groups {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", g.Policy, g.Band, g.Threat, g.TechnicalImpact, yesNo(g.Automatable), thousands(g.Size), g.Positives, pct(g.Rate, 3))
			}
			tw.Flush()
		}
		fmt.Fprintln(w)
		fmt.Fprintln(w, "inputs:")
		for _, in := range r.Inputs {
			k := "known at D"
			if !in.KnownAtD {
				k = "NOT known at D"
			}
			fmt.Fprintf(w, "  %s — %s — %s: %s\n", in.Input, in.Source, k, in.Note)
		}
		fmt.Fprintln(w, "rankings break ties by CVE id in text order; coverage at a budget depends on it when a tie group straddles the cut (column IF TIES BROKEN OTHERWISE)")
	}
	return nil
}

// WriteMarkdown writes reports as Markdown tables (for docs/backtest.md).
func WriteMarkdown(w io.Writer, reports []Report) error {
	for _, r := range reports {
		fmt.Fprintf(w, "### EPSS %s (model %s)\n\n", r.Date, orDash(r.EPSSModel))
		fmt.Fprintf(w, "KEV catalog %s (released %s), CVSS %s, policy %s. %s.\n", r.KEVCatalog, r.KEVReleased, orDash(r.CVSSFile), r.Policy, capitalize(r.header()[1]))
		for _, e := range r.Evaluations {
			fmt.Fprintf(w, "\n#### %s\n\n", capitalize(e.header(r.Date)))
			fmt.Fprintln(w, "| strategy | flagged | effort | hits | coverage [95% CI] | efficiency |")
			fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|")
			for _, ru := range e.Rules {
				fmt.Fprintf(w, "| %s | %s | %s | %d | %s | %s |\n", ru.Strategy, thousands(ru.Flagged), pct(ru.Effort, 2), ru.Hits, covCI(ru.Coverage, ru.CoverageCI), pct(ru.Efficiency, 2))
			}
			fmt.Fprintln(w)
			fmt.Fprintln(w, "| ranking | budget | k | hits | coverage [95% CI] | efficiency | if ties broken otherwise | vs CVSS | vs EPSS |")
			fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---|---|---|")
			for _, rr := range e.Rankings {
				for _, b := range rr.Budgets {
					fmt.Fprintf(w, "| %s | %s | %s | %d | %s | %s | %s | %s | %s |\n", rr.Strategy, budgetName(b), thousands(b.K), b.Hits, covCI(b.Coverage, b.CoverageCI), pct(b.Efficiency, 2), b.tieText(), pairedText(b.VsCVSS), pairedText(b.VsEPSS))
				}
			}
			fmt.Fprintln(w)
			if len(e.Rankings) > 0 {
				fmt.Fprintf(w, "| ranking | effort to cover %d (= CVSS ≥ 7) | k | ratio to CVSS ≥ 7 | k, random tie-break |\n", e.Rankings[0].MatchCVSS7.Hits)
				fmt.Fprintln(w, "|---|---:|---:|---:|---:|")
			}
			for _, rr := range e.Rankings {
				m := rr.MatchCVSS7
				fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", rr.Strategy, pct(m.Effort, 2), thousands(m.K), strconv.FormatFloat(m.Ratio, 'f', 3, 64), thousands(int(m.MeanK+0.5)))
			}
			fmt.Fprintln(w)
			fmt.Fprintln(w, "| policy | band | threat | technical impact | automatable | CVEs | later-KEV | rate |")
			fmt.Fprintln(w, "|---|---|---|---|---|---:|---:|---:|")
			for _, g := range e.Groups {
				fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %d | %s |\n", g.Policy, g.Band, g.Threat, g.TechnicalImpact, yesNo(g.Automatable), thousands(g.Size), g.Positives, pct(g.Rate, 3))
			}
		}
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| input | source | known at D | note |")
		fmt.Fprintln(w, "|---|---|---|---|")
		for _, in := range r.Inputs {
			k := "yes"
			if !in.KnownAtD {
				k = "**no**"
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s |\n", in.Input, in.Source, k, in.Note)
		}
		fmt.Fprintln(w)
	}
	return nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// ReadOnFromName finds a YYYY-MM-DD date in a file name (the CVSS-BT
// snapshot date of cvss-bt-2024-03-04.csv.gz).
func ReadOnFromName(name string) time.Time {
	for i := 0; i+10 <= len(name); i++ {
		if t, err := time.Parse("2006-01-02", name[i:i+10]); err == nil {
			return t
		}
	}
	return time.Time{}
}
