"""What an operator watches: `/healthz` (the store opens, which versions this worker serves, how
old the data is; 503 when the store cannot be read), `/metrics` (Prometheus: requests and their
latency by route, the reports being made; under gunicorn every worker's counts together, see
geoapp/gunicorn_conf.py) and, with GEOAPP_JSON_LOGS=1, one JSON line per request on the log (route,
status, milliseconds, worker, data version).
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import logging
import os
import threading
import time

from flask import Blueprint, Flask, Response, g, jsonify, request

from geoapp.views.served import release_freed_memory
from geoapp.web.state import served

bp = Blueprint("ops", __name__)
requests_log = logging.getLogger("geoapp.requests")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
_metrics: dict = {}
# Every TRIM_EVERY answers a process gives back the memory its requests used and freed: glibc
# keeps it for reuse, so a worker's memory is otherwise its largest request's (a crowded tile, a
# search of every stay) for good (bench/README.md, start-up and memory). It costs ~0.04 ms.
TRIM_EVERY = 20
TRIM_GAP_S = 0.25   # ... and at most this often: at a thousand answers a second, trimming every 20
                    # was 3 % of a worker's time (bench/README.md, OGC items), while what a busy
                    # stream of small answers frees is reused by the next one anyway
_answered = [0]
_trimmed_at = [0.0]
_making_metrics = threading.Lock()


def _instruments() -> dict:
    """The counters, made on first use (prometheus_client reads PROMETHEUS_MULTIPROC_DIR then),
    once, however many of a threaded server's first requests arrive together (a second
    registration is an error)."""
    if not _metrics:
        with _making_metrics:
            if not _metrics:
                from prometheus_client import Counter, Histogram
                made = {"requests": Counter("geoapp_requests_total", "Requests answered", ["route", "method", "status"]),
                        "latency": Histogram("geoapp_request_seconds", "Time to answer a request", ["route"],
                                             buckets=LATENCY_BUCKETS)}
                _metrics.update(made)
    return _metrics


def _route() -> str:
    """The route's rule ("/branches/<branch_id>"), so the labels stay few whatever the addresses."""
    return request.url_rule.rule if request.url_rule is not None else "unmatched"


def version_label(current) -> str:
    """A short label of the data version a request was answered from (its layers' versions)."""
    if current is None:
        return ""
    versions = json.dumps(current.dataset.versions, sort_keys=True)
    return hashlib.sha256(versions.encode()).hexdigest()[:12]


@functools.lru_cache(maxsize=1024)
def _series(route: str, method: str, status: int) -> tuple:
    """The request counter's and the latency histogram's series of a route, method and status
    (looked up once: prometheus_client's `labels` takes a lock and hashes the labels each time).
    The routes are the app's rules, so the series are few."""
    metrics = _instruments()
    return metrics["requests"].labels(route, method, str(status)), metrics["latency"].labels(route)


def record_answer(served_data, route: str, method: str, status: int, seconds: float, current, length: int | None,
                  log: bool) -> bool:
    """Count an answer in the metrics (and log it as a JSON line with GEOAPP_JSON_LOGS): the one
    place both the Flask hook below and `geoapp.web.public_reads` count through. True every
    TRIM_EVERY answers (and at most every TRIM_GAP_S): then the process should give freed memory
    back once the answer is sent.
    `log`: the app's GEOAPP_JSON_LOGS. The app's own requests, made while it makes a version's
    pages ahead (`Served.warming`), are not visitors' and are not counted."""
    if served_data.warming:
        return False
    counted, timed = _series(route, method, status)
    counted.inc()
    timed.observe(seconds)
    if log:
        requests_log.info(json.dumps({
            "time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"), "method": method,
            "route": route, "status": status, "ms": round(seconds * 1000, 1),
            "worker": os.getpid(), "version": version_label(current), "bytes": length}))
    _answered[0] += 1
    if _answered[0] % TRIM_EVERY:
        return False
    now = time.monotonic()
    if now - _trimmed_at[0] < TRIM_GAP_S:
        return False
    _trimmed_at[0] = now
    return True


def init_app(app: Flask) -> None:
    json_logs = bool(app.config.get("GEOAPP_JSON_LOGS"))
    if json_logs and not requests_log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        requests_log.addHandler(handler)
        requests_log.setLevel(logging.INFO)
        requests_log.propagate = False

    @app.before_request
    def started() -> None:
        g.geoapp_started = time.perf_counter()

    @app.after_request
    def measured(response):
        began = g.get("geoapp_started")
        if began is None or request.endpoint in ("static", "ops.metrics"):
            return response
        if record_answer(served(), _route(), request.method, response.status_code, time.perf_counter() - began,
                         getattr(g, "geoapp_version", None), response.content_length, json_logs):
            response.call_on_close(release_freed_memory)  # after the answer is sent, not before
        return response

    app.register_blueprint(bp)


@bp.get("/healthz")
def healthz():
    """200 with what this worker serves and how old the data is; 503 when the store cannot be read."""
    state = served()
    try:
        current = state.layers.current_versions()
        newest = max((v.created for layer in current for v in state.layers.history(layer)[-1:]), default=None)
        reports = state.stores.reports.latest()
    except Exception as err:  # the store's own error: said in one line, as the log says it
        answer = jsonify({"status": "unavailable", "reason": str(err).splitlines()[0][:200], "worker": os.getpid()})
        answer.status_code = 503
        answer.headers["Cache-Control"] = "no-store"
        return answer
    serving = state.newest.dataset.versions
    age = None
    if newest:
        created = dt.datetime.fromisoformat(newest)
        created = created if created.tzinfo else created.replace(tzinfo=dt.UTC)
        age = round((dt.datetime.now(dt.UTC) - created).total_seconds())
    answer = jsonify({"status": "ok", "worker": os.getpid(), "serving": serving, "store": current,
                      "behind": sorted(k for k, v in current.items() if serving.get(k) != v),
                      "reports": reports, "data_age_seconds": age, "load_seconds": round(state.load_seconds, 2)})
    answer.headers["Cache-Control"] = "no-store"
    return answer


@bp.get("/metrics")
def metrics():
    """Prometheus's text format: every worker's counts (multiprocess mode under gunicorn), and the
    committee's reports being made and failed now."""
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
    _instruments()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    shelf = served().shelf
    being_made, failed = shelf.counts()
    extra = ("# HELP geoapp_reports_being_made Documents being made by a renderer now\n"
             "# TYPE geoapp_reports_being_made gauge\n"
             f"geoapp_reports_being_made {being_made}\n"
             "# HELP geoapp_reports_failed Documents whose last renderer failed\n"
             "# TYPE geoapp_reports_failed gauge\n"
             f"geoapp_reports_failed {failed}\n")
    return Response(generate_latest(registry) + extra.encode(), mimetype=CONTENT_TYPE_LATEST,
                    headers={"Cache-Control": "no-store"})
