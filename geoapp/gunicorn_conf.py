"""gunicorn's settings for geoapp: `gunicorn -c python:geoapp.gunicorn_conf 'geoapp.wsgi:app'`
(the repository's gunicorn.conf.py reads them too, so a plain `gunicorn` in a checkout has them).

The app is loaded once, before the workers are forked (`preload_app`): the workers share the
memory of the loaded layers, their indexes and derived text (copy-on-write pages) instead of
each loading them, so four workers start in the time of one load. What each worker does ahead
in a thread (cutting the coverage map's first tiles) begins at its first request
(`CountyState.on_serving`), and PostGIS connections are opened in each worker
(`geoapp.store.postgis.forget_connections_after_fork`). A worker loads a newer version (after an
import) on its own, so from then on that version is the worker's own memory.
"""
import gc
import os
import shutil
import tempfile

preload_app = True

# /metrics under gunicorn: each worker writes its counts to files in this folder and the one that
# answers the scrape adds them up (prometheus_client's multiprocess mode). Set before the app is
# loaded; a folder of its own per start, emptied of the last start's counts.
_METRICS = os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="geoapp-metrics-"))
shutil.rmtree(_METRICS, ignore_errors=True)
os.makedirs(_METRICS, exist_ok=True)


def when_ready(server):
    """Before the first fork: make the first pages of the version served (`geoapp.web.
    warm_before_fork`), then move the loaded objects out of the garbage collector's reach, so a
    collection in a worker does not write to (and so copy) every page the objects live on."""
    if server.cfg.preload_app:  # (else the workers load the app themselves: nothing is loaded here)
        from geoapp.web import warm_before_fork
        app = server.app.wsgi()
        if "geoapp" in getattr(app, "extensions", {}):
            warm_before_fork(app)
    gc.freeze()


def child_exit(server, worker):
    """A worker that ended (killed, restarted): its live gauges no longer count."""
    from prometheus_client import multiprocess
    multiprocess.mark_process_dead(worker.pid)
