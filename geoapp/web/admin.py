"""The data keeper's page (/admin/data): check a file, import it as a new version with
progress shown, see each layer's history, roll back, and export any layer or table."""
from __future__ import annotations

import io
import json
import os
import re
import secrets
import shutil
import tempfile
import threading
import time
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.utils import secure_filename

from geoapp.crs import DECLARABLE
from geoapp.data.diff import shown
from geoapp.data.export import EXPORT_FORMATS
from geoapp.data.imports import (
    MAX_IMPORT_BYTES,
    SUPPORTED,
    prepare_import,
    publish_import,
)
from geoapp.layers import LAYERS
from geoapp.messages import N_, UserError
from geoapp.store.base import ROLES
from geoapp.vocabulary import ROLE_WORDS
from geoapp.web.auth import roles_required
from geoapp.web.i18n import current_lang, translate
from geoapp.web.state import published, served, version

bp = Blueprint("admin", __name__, url_prefix="/admin/data")

UPLOAD_LIMIT = MAX_IMPORT_BYTES + 1024 * 1024  # the importer's own bound, and the form around the file
JOB_ID = re.compile(r"[0-9a-f]{16}")
UPLOAD_KEPT_SECONDS = 24 * 3600


def _job_file(job_id: str) -> Path:
    folder = Path(current_app.config["GEOAPP_INSTANCE"]) / "jobs"
    folder.mkdir(exist_ok=True)
    return folder / f"{job_id}.json"


def save_job(job_id: str, **fields) -> None:
    """Record an import job's state in the instance folder, where every worker process reads it."""
    path = _job_file(job_id)
    job = load_job(job_id) or {}
    job.update(fields)
    temp = path.with_suffix(f".{os.getpid()}.tmp")
    temp.write_text(json.dumps(job, ensure_ascii=False), encoding="utf-8")
    os.replace(temp, path)


def load_job(job_id: str) -> dict | None:
    if not JOB_ID.fullmatch(job_id):
        return None
    try:
        return json.loads(_job_file(job_id).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


def _uploads() -> Path:
    """Where checked uploads wait to be imported; those left more than a day are removed."""
    folder = Path(current_app.config["GEOAPP_INSTANCE"]) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.iterdir():
        if stale.is_dir() and time.time() - stale.stat().st_mtime > UPLOAD_KEPT_SECONDS:
            shutil.rmtree(stale, ignore_errors=True)
    return folder


@bp.get("/")
@roles_required("admin")
def page():
    store = served().layers
    current = store.current_versions()
    layers = [{"id": layer_id, "title": layer.title_zh, "title_en": layer.title_en, "table": layer.is_table,
               "history": store.history(layer_id), "version": current.get(layer_id)}
              for layer_id, layer in LAYERS.items()]
    workers = [{**w, "behind": {layer: v for layer, v in w["versions"].items() if current.get(layer, v) != v}}
               for w in served().workers()]
    organisations = version().dataset["party_organisations"]
    name = "name_en" if current_lang() == "en" else "name_zh"
    return render_template("admin_data.html", layers=layers, systems=list(DECLARABLE),
                           supported=SUPPORTED, formats=EXPORT_FORMATS, workers=workers,
                           skipped=version().dataset.skipped, serving=version().dataset.versions,
                           roles=[(role, _(ROLE_WORDS[role])) for role in ROLES],
                           organisations=[{"id": i, "name": n} for i, n in zip(organisations.id, organisations[name])])


@bp.post("/users")
@roles_required("admin")
def create_user():
    """Create an account (or reset one's password): a planner, an admin, or a branch secretary
    bound to one party organisation."""
    from geoapp.views.branches import create_account
    form = request.form
    role = form.get("role", "")
    try:
        user = create_account(served().users, version().dataset, form.get("name", ""), form.get("password", ""), role,
                              form.get("branch", "") if role == "branch" else "")
    except UserError as err:
        abort(400, translate(err.message))
    flash(_("%(name)s can now log in as %(role)s.", name=user.name,
            role=_(ROLE_WORDS[user.role]) + (f" · {user.branch}" if user.branch else "")))
    return redirect(url_for("admin.page") + "#accounts")


@bp.post("/check")
@roles_required("admin")
def check():
    """Save the upload, check it, and show the report; nothing is imported yet."""
    upload = request.files.get("file")
    layer_id = request.form.get("layer", "")
    if upload is None or not upload.filename:
        abort(400, _("Choose a file to check."))
    name = secure_filename(upload.filename) or "upload"
    suffix = Path(upload.filename).suffix.lower()
    token = secrets.token_hex(8)
    folder = _uploads() / token
    folder.mkdir()
    path = folder / (Path(name).stem + suffix)
    upload.save(path)
    declared = (request.form.get("crs_epsg") or "").strip() or request.form.get("crs") or None
    encoding = request.form.get("encoding") or None
    report = prepare_import(path, layer_id, version().dataset, declared, encoding, store=served().layers)
    report.file = upload.filename
    if not report.ok:
        shutil.rmtree(folder, ignore_errors=True)
    return render_template("admin_report.html", report=report, token=token, layer=layer_id, crs=declared or "",
                           encoding=encoding or "", layer_title=layer_title, shown=shown), 200 if report.ok else 422


# What an import is doing, as the job's page says it (the stages named by the importer and the stores).
STAGE_WORDS = {"queued": N_("waiting to start"), "reading": N_("reading the file"),
               "converting coordinates": N_("converting the coordinates"), "checking": N_("checking the rows"),
               "checking storage": N_("checking it can be stored"), "checked": N_("checked"),
               "reading back": N_("reading the new version back"), "published": N_("published")}


def stage_words(stage: str) -> str:
    """A stage in the page's language ("writing farm_stays": 正在写入星级农家乐)."""
    if stage.startswith("writing "):
        return _("writing %(layer)s", layer=layer_title(stage.removeprefix("writing ")))
    return translate(STAGE_WORDS[stage]) if stage in STAGE_WORDS else stage


def layer_title(layer_id: str) -> str:
    """A layer's name in the page's language, its id beside it."""
    layer = LAYERS.get(layer_id)
    if layer is None:
        return layer_id
    english = str(get_locale() or "").startswith("en")   # (a job's thread has a locale, not a request)
    return f"{layer.title_en if english else layer.title_zh} ({layer_id})"


def _run(job_id: str, path: Path, layer_id: str, declared, encoding, who: str, app, locale: str) -> None:
    def progress(stage: str, fraction: float) -> None:
        save_job(job_id, stage=stage_words(stage), fraction=round(fraction, 3))
    try:
        with app.app_context(), force_locale(locale):
            state = served()
            report = prepare_import(path, layer_id, state.newest.dataset, declared, encoding, progress)
            if not report.ok:  # the data changed since the check
                save_job(job_id, state="failed", problems=[
                    f"{p.file}: {translate(p.row)}: {translate(p.message)}" if p.row else f"{p.file}: {translate(p.message)}"
                    for p in report.problems])
                return
            version = publish_import(state.layers, report, who, progress)
            state.refresh_if_changed()
            unchanged = bool(report.changes and report.changes.nothing)
            save_job(job_id, state="done", version=version, rows=report.rows, fraction=1.0, unchanged=unchanged,
                     stage=translate(N_("nothing changed: the file holds what is served")) if unchanged
                     else stage_words("published"))
    except UserError as err:  # the store refused to keep the version as given
        with app.app_context(), force_locale(locale):
            save_job(job_id, state="failed", problems=[translate(err.message)])
    except Exception as err:  # reported on the page; the store keeps its last published version
        app.logger.exception("import job %s failed", job_id)
        save_job(job_id, state="failed", problems=[f"{type(err).__name__}: {err}"])
    finally:
        shutil.rmtree(path.parent, ignore_errors=True)


@bp.post("/import/<token>")
@roles_required("admin")
def start_import(token: str):
    folder = _uploads() / secure_filename(token)
    files = list(folder.glob("*")) if folder.is_dir() else []
    if len(files) != 1:
        abort(404, _("That upload is gone: check the file again."))
    layer_id = request.form.get("layer", "")
    if layer_id not in LAYERS:
        abort(400, _("There is no layer “%(layer)s”.", layer=layer_id))
    if request.form.get("confirm") != "yes":
        abort(400, _("Tick the box that names the new version to import the file."))
    job_id = secrets.token_hex(8)
    save_job(job_id, state="running", stage=stage_words("queued"), fraction=0.0, layer=layer_id,
             layer_title=layer_title(layer_id))
    worker = threading.Thread(target=_run, daemon=True, args=(
        job_id, files[0], layer_id, request.form.get("crs") or None, request.form.get("encoding") or None,
        current_user.name, current_app._get_current_object(), str(get_locale())))
    worker.start()
    return redirect(url_for("admin.job_page", job_id=job_id))


@bp.get("/jobs/<job_id>")
@roles_required("admin")
def job_page(job_id: str):
    return render_template("admin_job.html", job_id=job_id, job=_job_or_404(job_id))


@bp.get("/jobs/<job_id>.json")
@roles_required("admin")
def job_status(job_id: str):
    job = _job_or_404(job_id)
    if job.get("state") == "done":  # the importer's next pages show it, on any worker
        published({job["layer"]: job["version"]})
    return jsonify(job)


def _job_or_404(job_id: str) -> dict:
    job = load_job(job_id)
    if job is None:
        abort(404, _("There is no import job “%(job)s”.", job=job_id))
    return job


@bp.post("/rollback/<layer_id>/<int:version_number>")
@roles_required("admin")
def rollback(layer_id: str, version_number: int):
    if layer_id not in LAYERS:
        abort(404, _("There is no layer “%(layer)s”.", layer=layer_id))
    if request.form.get("confirm") != "yes":
        abort(400, _("Tick the box that names version %(version)s to serve it again.", version=version_number))
    try:
        made = served().layers.rollback(layer_id, version_number, current_user.name)
    except KeyError:
        abort(404, _("%(layer)s has no version %(version)s.", layer=layer_id, version=version_number))
    published({layer_id: made.version})
    return redirect(url_for("admin.page"))


@bp.get("/export/<layer_id>/<fmt>")
@roles_required("admin")
def export(layer_id: str, fmt: str):
    from geoapp.data.export import export_frame
    ext = f".{fmt}"
    if layer_id not in LAYERS or ext not in EXPORT_FORMATS:
        abort(404, _("There is no export of %(layer)s as %(format)s; the formats are %(formats)s.", layer=layer_id,
                     format=fmt, formats=", ".join(f[1:] for f in EXPORT_FORMATS)))
    with tempfile.TemporaryDirectory(prefix="geoapp-export-") as workdir:  # gone once the bytes are read
        path = export_frame(served().layers.read(layer_id), layer_id, Path(workdir) / f"{layer_id}{ext}")
        data = path.read_bytes()
    return send_file(io.BytesIO(data), as_attachment=True, download_name=path.name)


# Photos of farm stays -------------------------------------------------------------------------------

@bp.post("/photos")
@roles_required("admin")
def add_photo():
    """Upload a photo for a farm stay: made safe (decoded, re-encoded, no EXIF or GPS), stored by
    its content, and added to the farm_stay_photos table as a new version."""
    import pandas as pd

    from geoapp.data.photos import MAX_PHOTO_BYTES, prepare_photo
    from geoapp.data.validate import check_frame
    state = served()
    stay = request.form.get("stay", "")
    if stay not in set(version().dataset["farm_stays"].id):
        abort(400, _("There is no farm stay “%(id)s”.", id=stay))
    upload = request.files.get("photo")
    if upload is None or not upload.filename:
        abort(400, _("Choose a photo."))
    data = upload.read(MAX_PHOTO_BYTES + 1)
    photo = prepare_photo(data)
    state.photos.save(photo.digest, photo.files)
    current = state.layers.read("farm_stay_photos")
    order = int(current[current.stay == stay]["order"].max() + 1) if (current.stay == stay).any() else 1
    row = {"id": f"P-{photo.digest[:12]}-{stay}", "stay": stay, "file": photo.digest,
           "caption_zh": request.form.get("caption_zh") or None, "caption_en": request.form.get("caption_en") or None,
           "order": order, "credit": request.form.get("credit") or None}
    if row["id"] in set(current.id):
        abort(400, _("This photo is already on that farm stay."))
    frame, problems = check_frame(LAYERS["farm_stay_photos"], pd.concat([current, pd.DataFrame([row])],
                                                                        ignore_index=True))
    if problems:
        abort(400, translate(problems[0].message))
    made = state.layers.publish({"farm_stay_photos": frame}, current_user.name, {"farm_stay_photos": upload.filename},
                         {"farm_stay_photos": "sha256:" + photo.digest}, note=f"photo for {stay}")
    published(made)
    return redirect(url_for("farmstays.detail_page", stay_id=stay))


@bp.post("/photos/<photo_id>/delete")
@roles_required("admin")
def remove_photo(photo_id: str):
    state = served()
    current = state.layers.read("farm_stay_photos")
    if photo_id not in set(current.id):
        abort(404, _("There is no photo “%(id)s”.", id=photo_id))
    stay = current.loc[current.id == photo_id, "stay"].iloc[0]
    made = state.layers.publish({"farm_stay_photos": current[current.id != photo_id]}, current_user.name,
                         {"farm_stay_photos": ""}, {"farm_stay_photos": ""}, note=f"photo {photo_id} removed")
    published(made)
    return redirect(url_for("farmstays.detail_page", stay_id=stay))
