package instrumentredis

import (
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// maxShapeArgs is the number of arguments a command's shape writes.
const maxShapeArgs = 16

// maxPipelineText is the number of commands of a pipeline whose shapes
// db.query.text writes.
const maxPipelineText = 16

// maxSummary bounds db.query.summary, as the conventions recommend.
const maxSummary = 255

// commandName returns the name of cmd in upper case: go-redis writes the
// names in lower case, Redis documents them in upper case.
func commandName(cmd redis.Cmder) string {
	name := cmd.Name()
	if upper, ok := upperNames[name]; ok {
		return upper
	}
	return strings.ToUpper(name)
}

// shape returns cmd's db.query.text: its name, the shape of its key (see
// keyShape) if it takes one first, and "?" for every other argument.
func shape(op string, cmd redis.Cmder) string {
	var b strings.Builder
	b.Grow(len(op) + 2*len(cmd.Args()) + 16)
	writeShape(&b, op, cmd)
	return b.String()
}

// writeShape writes cmd's shape to b.
func writeShape(b *strings.Builder, op string, cmd redis.Cmder) {
	args := cmd.Args()
	b.WriteString(op)
	keyed := keyCommands[cmd.Name()]
	for i := 1; i < len(args); i++ {
		if i > maxShapeArgs {
			b.WriteString(" ...")
			break
		}
		b.WriteByte(' ')
		if i == 1 && keyed {
			writeKeyShape(b, args[1])
		} else {
			b.WriteByte('?')
		}
	}
}

// writeKeyShape writes the shape of key: its parts, split at ':', that
// read as names (isName), and "?" for every other part. A key that is not
// a string is "?".
func writeKeyShape(b *strings.Builder, key any) {
	s, ok := key.(string)
	if !ok {
		b.WriteByte('?')
		return
	}
	for i, part := range strings.Split(s, ":") {
		if i > 0 {
			b.WriteByte(':')
		}
		if isName(part) {
			b.WriteString(part)
		} else {
			b.WriteByte('?')
		}
	}
}

// isName reports whether a part of a key reads as a name rather than a
// value: 1 to 24 lower-case ASCII letters, '_' and '-'. A digit or an
// upper-case letter makes it a value: IDs, tokens and hashes have them.
func isName(s string) bool {
	if s == "" || len(s) > 24 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// storedProcedure returns db.stored_procedure.name of a script call: the
// digest of EVALSHA, the function of FCALL.
func storedProcedure(op string, cmd redis.Cmder) string {
	switch op {
	case "EVALSHA", "EVALSHA_RO", "FCALL", "FCALL_RO":
		if args := cmd.Args(); len(args) > 1 {
			if s, ok := args[1].(string); ok {
				return s
			}
		}
	}
	return ""
}

// isScript reports whether cmd runs a script, whose error replies are the
// script's own text.
func isScript(cmd redis.Cmder) bool {
	if cmd == nil {
		return false
	}
	switch cmd.Name() {
	case "eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro":
		return true
	}
	return false
}

// pipeline is what a pipeline's span says of it.
type pipeline struct {
	operation string // db.operation.name: PIPELINE GET, PIPELINE, MULTI SET, MULTI
	summary   string // the span name and db.query.summary: PIPELINE GET SET
	text      string // db.query.text: the commands' shapes, one a line
	size      int    // db.operation.batch.size
}

// describe describes a pipeline; a transaction's commands come between
// MULTI and EXEC.
func describe(cmds []redis.Cmder) pipeline {
	kind := "PIPELINE"
	if n := len(cmds); n >= 2 && cmds[0].Name() == "multi" && cmds[n-1].Name() == "exec" {
		kind, cmds = "MULTI", cmds[1:n-1]
	}
	p := pipeline{size: len(cmds)}
	var summary, text strings.Builder
	summary.Grow(64)
	text.Grow(32 * min(len(cmds), maxPipelineText))
	summary.WriteString(kind)
	var buf [8]string
	names := buf[:0]
	for i, cmd := range cmds {
		op := commandName(cmd)
		if !contains(names, op) {
			names = append(names, op)
			if summary.Len()+1+len(op) <= maxSummary {
				summary.WriteByte(' ')
				summary.WriteString(op)
			}
		}
		writeLine(&text, i, len(cmds), op, cmd)
	}
	p.summary, p.text = summary.String(), text.String()
	p.operation = kind
	if len(names) == 1 {
		p.operation = p.summary // kind and the one name
	}
	return p
}

// writeLine writes the i-th of n commands' shape to a pipeline's text.
func writeLine(text *strings.Builder, i, n int, op string, cmd redis.Cmder) {
	switch {
	case i < maxPipelineText:
		if i > 0 {
			text.WriteByte('\n')
		}
		writeShape(text, op, cmd)
	case i == maxPipelineText:
		text.WriteString("\n... (" + strconv.Itoa(n-i) + " more)")
	}
}

func contains(names []string, name string) bool {
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}
