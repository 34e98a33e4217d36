package analyzer

import (
	"cmp"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/failhop/failhop/vocab"
)

// This file tells the failures a caller survived from the ones that
// failed it, by what the caller did after each (docs/cli.md, "Failures
// the request survived").

// answerSearch bounds how many spans, from a caller up to its service's
// entry span, are read for the caller's answer.
const answerSearch = 64

// callSearch bounds how many spans below a sibling are searched for a call
// it made.
const callSearch = 256

// withoutSurvived returns those of failing, the children of s that failed
// (or passed a failure through) in the order they started, that failed s:
//   - when the answer of s (see names) names some of them and not all,
//     those are fatal, with the others that ran at the same time as one
//     of them (fan-out); s survived the others, which failed before or
//     after;
//   - else, when s went on past some of them (made another call, not a
//     retry, after one ended) and not others, the ones it did not go on
//     past are fatal and it survived the others;
//   - else, when s went on past every one, it survived them if its answer
//     says something of its own (a message that names none of them, and
//     not a gateway's status, 502 to 504, which blames a call): s failed
//     on its own. Otherwise they stay fatal.
//
// Earlier attempts of a fatal call stay fatal (the hop counts them). The
// survived ones are recorded, with why, in a.survived.
func (a *analysis) withoutSurvived(s *Span, failing []*Span) []*Span {
	if len(failing) == 0 {
		return failing
	}
	calls := a.laterCalls(s)
	if len(failing) == 1 && calls.after(failing[0]) == nil {
		return failing // nothing to tell apart
	}
	answer := a.answer(s)
	var named []*Span
	isNamed := make([]bool, len(failing))
	for i, f := range failing {
		if a.names(answer, f) {
			named, isNamed[i] = append(named, f), true
		}
	}
	if 0 < len(named) && len(named) < len(failing) {
		return a.withAttempts(failing, keepNamed(failing, named, isNamed), func(*Span) string {
			return s.Service + "'s answer names another failure"
		})
	}
	var fatal []*Span
	for _, f := range failing {
		if calls.after(f) == nil {
			fatal = append(fatal, f)
		}
	}
	switch {
	case len(fatal) == len(failing):
		return failing
	case len(fatal) > 0:
		return a.withAttempts(failing, fatal, func(f *Span) string {
			return s.Service + " went on to " + a.what(calls.after(f)) + " after it"
		})
	case len(named) > 0 || answer.text == "" || answer.gateway:
		return failing
	}
	for _, f := range failing {
		a.survive(f, fmt.Sprintf("survived: %s went on to other calls after it, and then failed on its own", s.Service))
	}
	return nil
}

// withAttempts returns fatal with the earlier attempts of its calls
// (failures of the same call that ended before it started), in the order
// of failing; it records the other failures as survived, each because of
// why.
func (a *analysis) withAttempts(failing, fatal []*Span, why func(*Span) string) []*Span {
	if len(fatal) == len(failing) {
		return fatal
	}
	last := map[callKey]time.Time{} // the latest start of a fatal call
	isFatal := make(map[*Span]bool, len(fatal))
	for _, f := range fatal {
		isFatal[f] = true
		if k := keyOf(f); f.Start.After(last[k]) {
			last[k] = f.Start
		}
	}
	out := fatal[:0:0]
	for _, f := range failing {
		if start, ok := last[keyOf(f)]; isFatal[f] || ok && !f.End.After(start) {
			out = append(out, f)
			continue
		}
		a.survive(f, "survived: "+why(f))
	}
	return out
}

// keepNamed returns the failures the answer named, and those that ran at
// the same time as one of them. failing and named are in start order;
// isNamed[i] says whether failing[i] is named.
func keepNamed(failing, named []*Span, isNamed []bool) []*Span {
	// latest[i] is the latest end of named[:i+1]. An unnamed failure ran
	// with a named one when, of the named ones that started before it
	// ended, one was still running when it started.
	latest := make([]time.Time, len(named))
	for i, n := range named {
		latest[i] = n.End
		if i > 0 && latest[i-1].After(n.End) {
			latest[i] = latest[i-1]
		}
	}
	var fatal []*Span
	for i, f := range failing {
		before := sort.Search(len(named), func(j int) bool { return !named[j].Start.Before(f.End) })
		if isNamed[i] || before > 0 && latest[before-1].After(f.Start) {
			fatal = append(fatal, f)
		}
	}
	return fatal
}

// survive records that the failure at or below f was survived, and why.
func (a *analysis) survive(f *Span, why string) {
	if a.survived == nil {
		a.survived = map[*Span]string{}
	}
	a.survived[f] = why
}

// survivedReason returns why the failure of s was survived, if it was:
// the reason recorded on s or on the nearest span above it.
func (a *analysis) survivedReason(s *Span) string {
	for range answerSearch {
		if s == nil {
			break
		}
		if why, ok := a.survived[s]; ok {
			return why
		}
		s = a.parent(s)
	}
	return ""
}

// what names a call for a reason: "call payments POST /charge", or the
// span's name.
func (a *analysis) what(c *Span) string {
	if e := a.ends(origin{span: c}); e.to != "" {
		return "call " + e.to + " " + e.operation
	}
	return strconv.Quote(c.Name)
}

// calls are the synchronous children of a span that are calls or made
// one (see callsOut), in start order.
type calls []*Span

func (a *analysis) laterCalls(s *Span) calls {
	var out calls
	for _, c := range a.syncChildren(s) {
		if a.callsOut(c) {
			out = append(out, c)
		}
	}
	return out
}

// after returns the first call that started after f ended, other than a
// retry of f, looking at most answerSearch calls on; or nil.
func (cs calls) after(f *Span) *Span {
	if f.End.IsZero() {
		return nil
	}
	i := sort.Search(len(cs), func(i int) bool { return !cs[i].Start.Before(f.End) })
	for _, c := range cs[i:min(len(cs), i+answerSearch)] {
		if c != f && !sameCall(c, f) {
			return c
		}
	}
	return nil
}

// callsOut reports whether s is an outbound call (a client, a database
// span) that is not cleanup, or made one below it in its service.
func (a *analysis) callsOut(s *Span) bool {
	stack := []*Span{s}
	for n := 0; len(stack) > 0 && n < callSearch; n++ {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if (x.Kind == KindClient || isDB(x)) && !isCleanup(x) {
			return true
		}
		for _, c := range a.children[x] {
			if c.Service == s.Service {
				stack = append(stack, c)
			}
		}
	}
	return false
}

// answerOf is what a caller answered: the spans from it up to its
// service's entry span (a server or consumer span, or the root), where a
// handler's error, its status and its callee's report are recorded.
type answerOf struct {
	spans   []*Span
	text    string // their messages, in lower case
	gateway bool   // one answered 502, 503 or 504: a call failed
}

func (a *analysis) answer(s *Span) answerOf {
	var out answerOf
	var text []string
	for x := s; x != nil && x.Service == s.Service && len(out.spans) < answerSearch; x = a.parent(x) {
		out.spans = append(out.spans, x)
		if code := httpStatus(x); code >= 502 && code <= 504 {
			out.gateway = true
		}
		if m := message(x); m != "" {
			text = append(text, strings.ToLower(m))
		}
		if x.Kind == KindServer || x.Kind == KindConsumer {
			break
		}
	}
	out.text = strings.Join(text, "\n")
	return out
}

// names reports whether the answer names the failure at or below f: the
// origin its callee reported is f or below it, its message holds f's
// error message or f's peer, or it passed f's HTTP status on (other than
// a bare 500, which any failure gives).
func (a *analysis) names(answer answerOf, f *Span) bool {
	for _, x := range answer.spans {
		if o := a.byID[x.Attr(vocab.KeyOriginSpanID)]; o != nil && (o == f || a.isBelow(o, f)) {
			return true
		}
		if code := httpStatus(x); code >= 500 && code != 500 && code == httpStatus(f) {
			return true
		}
	}
	if answer.text == "" {
		return false
	}
	for _, word := range a.identifiers(f) {
		if len(word) >= 4 && strings.Contains(answer.text, strings.ToLower(word)) {
			return true
		}
	}
	return false
}

// identifiers are the words by which a caller's error message would name
// the failure at f: f's own error message, the service it called and
// where, and the path it asked for.
func (a *analysis) identifiers(f *Span) []string {
	words := []string{message(f)}
	if f.Kind == KindClient || f.Kind == KindProducer {
		words = append(words, a.peer(f), address(f))
		if _, path := urlParts(cmp.Or(f.Attr("url.full"), f.Attr("http.url"))); path != "/" && path != "" {
			words = append(words, path)
		}
	}
	return words
}

// isCleanup reports whether s is what a handler does because a call
// failed, not a sign that it went on past the failure: a transaction's
// rollback, or a message it publishes (order.failed, a retry, an alert).
func isCleanup(s *Span) bool {
	if s.Kind == KindProducer {
		return true
	}
	if !isDB(s) {
		return false
	}
	op, _, _ := strings.Cut(strings.TrimSpace(cmp.Or(s.Attr("db.operation.name"), s.Attr("db.operation"), s.Name)), " ")
	return strings.EqualFold(op, "ROLLBACK") || strings.EqualFold(op, "ABORT")
}
