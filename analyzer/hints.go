package analyzer

// hints is the one table of what to check first for each cause. It follows
// the diagnosis guide failhop grew from: its four families of causes
// (a failed code path, bad configuration, a dependency outage, resource
// exhaustion) and their fixes, applied to the hop the analyzer found.
var hints = map[string]string{
	"panic": "Unhandled exception or failed code path: the stack below shows where. " +
		"Roll back the release that brought it, or patch that code path.",
	"app_error": "The service answered with an error of its own: read the error and stack, " +
		"and compare with the last deploy or config change.",
	"db_error": "The database refused the statement: check the query against the schema " +
		"(a migration or a release that expects another schema), and the release that sent it.",
	"db_unavailable": "Dependency outage: the database could not be reached. " +
		"Check its health, the network path, and the connection settings and credentials.",
	"peer_unreachable": "Dependency outage: the called service did not answer. " +
		"Check that it runs and is healthy, DNS and TLS, and the URL the caller is configured with.",
	"timeout": "Too slow: check the slow span below (slow query, lock wait), pool sizes, " +
		"and CPU and memory on its service; then the caller's timeout.",
	"canceled": "The caller gave up before the answer: not a fault of this service. " +
		"Look at why the request was slow and at the caller's timeout.",
	"upstream_error": "A downstream service failed and sent no details: " +
		"follow the call into its traces and logs, and check its health.",
	"upstream_rejected": "The downstream refused our request (4xx): usually our own configuration. " +
		"Check the caller's environment variables and config: URLs, API keys, credentials.",
	"bad_response": "The downstream answered, but not with something usable: " +
		"check its version and the contract between the two services (a bad upstream answer is a 502).",
	"resource_exhausted": "Resource exhaustion: a pool, limit, memory or disk ran out. " +
		"Check pool sizes and limits, CPU and memory; add capacity or shed load.",
}

// Hint returns what to check first for a cause, or a generic advice for
// an unknown one.
func Hint(cause string) string {
	if h, ok := hints[cause]; ok {
		return h
	}
	return "Read the error on the failing span and the logs of its service around that time."
}
