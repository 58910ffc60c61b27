package event

// ParseOptions relax Parse for PDUs that are not received as new events.
type ParseOptions struct {
	// UnboundedReferences lifts the limits on the number of prev_events
	// (MaxPrevEvents) and auth_events (MaxAuthEvents). For events of a
	// /backfill answer, and for events read back from storage, which were
	// checked when they arrived: server-server backfill.yaml, "Though the
	// PDU definitions require that prev_events and auth_events be limited
	// in number, the response of backfill MUST NOT be validated on these
	// specific restrictions. Due to historical reasons, it is possible
	// that events which were previously accepted would now be rejected by
	// these limitations. The events should be rejected per usual by the
	// /send, /get_missing_events, and remaining endpoints."
	UnboundedReferences bool
}

func (o ParseOptions) prevLimit() int {
	if o.UnboundedReferences {
		return -1
	}
	return MaxPrevEvents
}

func (o ParseOptions) authLimit() int {
	if o.UnboundedReferences {
		return -1
	}
	return MaxAuthEvents
}
