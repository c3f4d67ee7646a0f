"""Schemathesis hooks of the HTTP fuzzing spec (apps/e2e/src/http-fuzz.e2e-spec.ts).

`flowgate_server_error` replaces Schemathesis' `not_a_server_error`, which fails every 5xx: flowgate
answers some 5xx on purpose, and documents them. A 5xx passes only when it is one of those, as
problem+json: 503 overloaded / deadline-unreachable and 504 timeout (a fuzzer asks for deadlines
of 1 ms), and 500 handler-failed from the routes named in FLOWGATE_FUZZ_FAILING_PATHS (the demo's
`fail` route fails by design). Anything else (a crash, a framework's 500, a 502) fails the run.
"""
import json
import os

import schemathesis

ON_PURPOSE = {
    503: {"urn:flowgate:problem:overloaded", "urn:flowgate:problem:deadline-unreachable"},
    504: {"urn:flowgate:problem:timeout"},
}
FAILING_PATHS = {p for p in os.environ.get("FLOWGATE_FUZZ_FAILING_PATHS", "").split(",") if p}


@schemathesis.check
def flowgate_server_error(ctx, response, case):
    """A 5xx must be one flowgate answers on purpose, as problem+json."""
    status = response.status_code
    if status < 500:
        return None
    content_type = response.headers.get("content-type", [""])
    content_type = (content_type[0] if isinstance(content_type, list) else content_type).split(";")[0].strip()
    try:
        problem_type = json.loads(response.content).get("type") if content_type == "application/problem+json" else None
    except (ValueError, AttributeError):
        problem_type = None
    allowed = set(ON_PURPOSE.get(status, set()))
    if status == 500 and case.operation.path in FAILING_PATHS:
        allowed.add("urn:flowgate:problem:handler-failed")
    if problem_type not in allowed:
        raise AssertionError(f"unexpected server error {status} ({content_type or 'no content type'}, type {problem_type})")
    return None
