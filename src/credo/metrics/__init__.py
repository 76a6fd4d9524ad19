"""Credo's Prometheus metrics: every name and label set, and the calls that move them.

Label values come from fixed sets only (grant types of the registry, AADSTS codes of the
catalogue, route templates, a few store and throttle kinds), never a client id, a tenant or
a raw path, so the number of series stays bounded whatever clients send. Children of
labelled metrics are bound once and kept in plain dicts: a request costs a dict look-up and
prometheus-client's own update, no formatting.

Under ``credo serve`` every worker writes its values to files in ``PROMETHEUS_MULTIPROC_DIR``
(prometheus-client's multiprocess mode, chosen when it is imported) and the scrape adds them
up (``credo.metrics.exposition``). Names and labels are listed in docs/operations.md.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_MAX_THROTTLE_KINDS = 32

TOKEN_REQUESTS = Counter(
    "credo_token_requests", "Token requests by grant type, outcome and AADSTS code (0: issued).",
    ["grant_type", "outcome", "aadsts"])
HTTP_DURATION = Histogram(
    "credo_http_request_duration_seconds",
    "Time to answer a request, by route template, method and status.",
    ["route", "method", "status"], buckets=_LATENCY_BUCKETS)
SIGNATURES = Counter("credo_signatures", "Tokens signed with the active signing key.")
CACHE_AGE = Gauge(
    "credo_directory_cache_age_seconds",
    "Seconds since the directory cache last checked the directory version (oldest worker).",
    multiprocess_mode="livemax")
CACHE_RELOADS = Counter(
    "credo_directory_cache_reloads", "Directory cache flushes after the directory changed.")
REPLAY_ERRORS = Counter(
    "credo_replay_store_errors", "Replay-store operations that failed (the request failed "
    "closed).", ["store"])
THROTTLED = Counter("credo_throttled", "Requests refused by a throttle, by throttle kind.",
                    ["kind"])
AUDIT_QUEUE = Gauge("credo_audit_queue_events", "Audit events waiting to be written.",
                    multiprocess_mode="livesum")
AUDIT_WRITTEN = Counter("credo_audit_events_written", "Audit events written to the store.")
AUDIT_WRITE_ERRORS = Counter(
    "credo_audit_write_errors", "Failed audit batch writes (the batch is kept and retried).")
AUDIT_DROPPED = Counter(
    "credo_audit_events_dropped", "Audit events lost: the buffer was full, or a batch was "
    "refused by the store after every retry.", ["reason"])
DB_POOL_SIZE = Gauge("credo_db_pool_size", "Database connections held by the pools.",
                     multiprocess_mode="livesum")
DB_POOL_CHECKED_OUT = Gauge("credo_db_pool_checked_out",
                            "Database connections in use.", multiprocess_mode="livesum")

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

_token_children: dict[tuple[str, int], Counter] = {}
_route_children: dict[tuple[str, str, int], Histogram] = {}
_throttle_children: dict[str, Counter] = {}
DROPPED_FULL = AUDIT_DROPPED.labels("buffer_full")
DROPPED_REFUSED = AUDIT_DROPPED.labels("refused")
REPLAY_REDIS = REPLAY_ERRORS.labels("redis")
REPLAY_DATABASE = REPLAY_ERRORS.labels("database")


def token_request(grant_type: str, code: int) -> None:
    """One answered token request; ``grant_type`` is a registered grant's name."""
    child = _token_children.get((grant_type, code))
    if child is None:
        child = TOKEN_REQUESTS.labels(grant_type, "failure" if code else "success", str(code))
        _token_children[(grant_type, code)] = child
    child.inc()


def request_answered(route: str, method: str, status: int, seconds: float) -> None:
    """One HTTP request; ``route`` is a route template (never the raw path)."""
    if method not in _METHODS:
        method = "other"
    key = (route, method, status)
    child = _route_children.get(key)
    if child is None:
        child = HTTP_DURATION.labels(route, method, str(status))
        _route_children[key] = child
    child.observe(seconds)


def throttled(kind: str) -> None:
    """A request refused by the throttle named ``kind`` (a fixed name, e.g. ``"client"``)."""
    child = _throttle_children.get(kind)
    if child is None:
        if len(_throttle_children) >= _MAX_THROTTLE_KINDS:
            kind = "other"
        child = _throttle_children.setdefault(kind, THROTTLED.labels(kind))
    child.inc()


def bind_token_outcomes(grant_types: list[str]) -> None:
    """Bind the success child of each grant at start-up (no first-request cost)."""
    for name in grant_types:
        _token_children[(name, 0)] = TOKEN_REQUESTS.labels(name, "success", "0")
