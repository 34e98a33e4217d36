package analyzer_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/failhop/failhop/analyzer"
	"github.com/failhop/failhop/tracejson"
)

// fixtureDir holds the fixture files, shared with the CLI's tests.
const fixtureDir = "../testdata/traces"

// jaegerTag is a tag of Jaeger's JSON.
type jaegerTag struct {
	Key   string `json:"key"`
	Type  string `json:"type"`
	Value any    `json:"value"`
}

func jaegerTags(m map[string]any) []jaegerTag {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	tags := make([]jaegerTag, 0, len(m))
	for _, k := range keys {
		switch v := m[k].(type) {
		case bool:
			tags = append(tags, jaegerTag{k, "bool", v})
		case int64:
			tags = append(tags, jaegerTag{k, "int64", v})
		case float64:
			tags = append(tags, jaegerTag{k, "float64", v})
		default:
			tags = append(tags, jaegerTag{k, "string", fmt.Sprint(v)})
		}
	}
	return tags
}

// jaegerJSON encodes a trace as the Jaeger query API (and the UI's
// "Download JSON") does.
func jaegerJSON(t *analyzer.Trace) ([]byte, error) {
	type ref struct {
		RefType string `json:"refType"`
		TraceID string `json:"traceID"`
		SpanID  string `json:"spanID"`
	}
	type log struct {
		Timestamp int64       `json:"timestamp"`
		Fields    []jaegerTag `json:"fields"`
	}
	type span struct {
		TraceID       string      `json:"traceID"`
		SpanID        string      `json:"spanID"`
		OperationName string      `json:"operationName"`
		References    []ref       `json:"references"`
		StartTime     int64       `json:"startTime"`
		Duration      int64       `json:"duration"`
		Tags          []jaegerTag `json:"tags"`
		Logs          []log       `json:"logs"`
		ProcessID     string      `json:"processID"`
	}
	type process struct {
		ServiceName string      `json:"serviceName"`
		Tags        []jaegerTag `json:"tags"`
	}
	processes := map[string]process{}
	pids := map[string]string{}
	var spans []span
	for _, s := range t.Spans {
		key := s.Service + "/" + fmt.Sprint(s.Resource["service.version"])
		pid, ok := pids[key]
		if !ok {
			pid = fmt.Sprintf("p%d", len(pids)+1)
			pids[key] = pid
			res := map[string]any{}
			for k, v := range s.Resource {
				if k != "service.name" {
					res[k] = v
				}
			}
			processes[pid] = process{ServiceName: s.Service, Tags: jaegerTags(res)}
		}
		tags := map[string]any{}
		for k, v := range s.Attributes {
			tags[k] = v
		}
		if s.Kind != analyzer.KindUnspecified && s.Kind != analyzer.KindInternal {
			tags["span.kind"] = string(s.Kind)
		}
		if s.Status == analyzer.StatusError {
			tags["otel.status_code"] = "ERROR"
		}
		if s.StatusMessage != "" {
			tags["otel.status_description"] = s.StatusMessage
		}
		js := span{
			TraceID: t.TraceID, SpanID: s.SpanID, OperationName: s.Name, ProcessID: pid,
			StartTime: s.Start.UnixMicro(), Duration: s.End.Sub(s.Start).Microseconds(), Tags: jaegerTags(tags),
			References: []ref{}, Logs: []log{},
		}
		if s.ParentSpanID != "" {
			refType := "CHILD_OF"
			if s.FollowsFrom {
				refType = "FOLLOWS_FROM"
			}
			js.References = append(js.References, ref{refType, t.TraceID, s.ParentSpanID})
		}
		for _, e := range s.Events {
			fields := map[string]any{"event": e.Name}
			for k, v := range e.Attributes {
				fields[k] = v
			}
			js.Logs = append(js.Logs, log{Timestamp: e.Time.UnixMicro(), Fields: jaegerTags(fields)})
		}
		spans = append(spans, js)
	}
	doc := map[string]any{"data": []any{map[string]any{"traceID": t.TraceID, "spans": spans, "processes": processes}}}
	return json.MarshalIndent(doc, "", "  ")
}

// TestFixtureFiles reads every fixture file back with tracejson, as the CLI
// does, and checks the analysis against NAME.want.json. With -update it
// first writes the files from the specs.
func TestFixtureFiles(t *testing.T) {
	if *update {
		for _, f := range fixtures {
			data, err := jaegerJSON(f.build())
			if err != nil {
				t.Fatal(err)
			}
			w := f.want
			w.About = f.about
			want, _ := json.MarshalIndent(w, "", "  ")
			if err := os.WriteFile(filepath.Join(fixtureDir, f.name+".json"), append(data, '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(fixtureDir, f.name+".want.json"), append(want, '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	files := fixtureFiles(t)
	if len(files) < 50 {
		t.Errorf("%d fixture files; the corpus must hold at least 50", len(files))
	}
	for _, f := range files {
		t.Run(f.name, func(t *testing.T) {
			check(t, analyzer.Analyze(f.trace), f.want)
		})
	}
}

// fixtureFile is a fixture as read back from testdata/traces.
type fixtureFile struct {
	name  string
	trace *analyzer.Trace
	want  Want
}

// fixtureFiles reads every fixture file with tracejson, as the CLI does.
func fixtureFiles(t *testing.T) []fixtureFile {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(fixtureDir, "*.want.json"))
	if len(files) < len(fixtures) {
		t.Fatalf("%d fixture files for %d specs: run go test ./analyzer -update", len(files), len(fixtures))
	}
	var out []fixtureFile
	for _, wantFile := range files {
		f := fixtureFile{name: filepath.Base(wantFile[:len(wantFile)-len(".want.json")])}
		data, err := os.ReadFile(wantFile)
		if err == nil {
			err = json.Unmarshal(data, &f.want)
		}
		if err != nil {
			t.Fatalf("%s: %v", wantFile, err)
		}
		data, err = os.ReadFile(filepath.Join(fixtureDir, f.name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		traces, err := tracejson.Decode(data)
		if err != nil || len(traces) != 1 {
			t.Fatalf("%s: decode: %d traces, %v", f.name, len(traces), err)
		}
		f.trace = traces[0]
		out = append(out, f)
	}
	return out
}
