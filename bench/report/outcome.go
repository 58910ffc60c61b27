package report

import "errors"

// NewSummary is an empty summary of a run of tool against target, with
// its parameters and the count and error maps ready to fill.
func NewSummary(tool, target string, params map[string]string) *Summary {
	return &Summary{Tool: tool, Target: target, Params: params, Counts: map[string]int64{}, Errors: map[string]int64{}}
}

// Conclude writes a run's outputs however the run ended: s.Outcome is
// cause's text ("ok" for nil), s is filled from rec unless it was already,
// and the JSON summary and the HTML report go to jsonPath and htmlPath
// where they are not empty. It returns cause, joined with the write errors
// if any, so that a program's exit status still says why the run failed.
func Conclude(rec *Recorder, s *Summary, cause error, jsonPath, htmlPath string) error {
	if cause != nil {
		s.Outcome = cause.Error()
	} else {
		s.Outcome = "ok"
	}
	if s.Timeline.Series == nil {
		rec.Fill(s)
	}
	var errs []error
	if jsonPath != "" {
		errs = append(errs, WriteJSON(jsonPath, s))
	}
	if htmlPath != "" {
		errs = append(errs, WriteHTML(htmlPath, s))
	}
	if werr := errors.Join(errs...); werr != nil {
		return errors.Join(cause, werr)
	}
	return cause
}
