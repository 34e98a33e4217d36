package instrument

import (
	"github.com/failhop/failhop/instrument/internal/request"

	"github.com/failhop/failhop/vocab"
)

// Attribute keys of the failhop vocabulary. They are set only on spans that
// ended in error (and on client spans that were canceled), so a successful
// request carries none of them.
const (
	// OriginKey (bool) marks the span where an error started: a panic, an SQL
	// error, a transport failure, or an application error recorded on it.
	OriginKey = request.OriginKey
	// PropagatedKey (bool) marks an error span that failed only because a
	// child span or a downstream service failed.
	PropagatedKey = request.PropagatedKey
	// OriginSpanIDKey (string, 16 hex digits) names the origin span of a
	// propagated error when it is known: in this process, or reported by the
	// downstream service in its Failhop-Error response header.
	OriginSpanIDKey = request.OriginSpanIDKey
	// CauseKey (string, a [vocab.Cause]) says what kind of failure this is, as far
	// as this span knows: on a propagated span it is the origin's cause.
	CauseKey = request.CauseKey
)

// Cause is the kind of a failure, written as the failhop.cause attribute:
// one of [vocab.Causes].
type Cause = vocab.Cause
