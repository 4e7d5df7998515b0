"""One page per party organisation (/branches/<id>) and its JSON twin (/api/branches/<id>), the
list of branches with their standing (/api/branches?status=red&as_of=2015-12), and the branch's
reports of its five days: a branch secretary adds them (POST /api/branches/<id>/activities, JSON
or a form with photos), an admin corrects or removes them (`geoapp.views.branches`)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from geoapp.formats import beijing_today
from geoapp.views import branches as branch_views
from geoapp.web.auth import roles_required, viewer
from geoapp.web.i18n import current_lang
from geoapp.web.state import published, served, version, with_notice

bp = Blueprint("branches", __name__)
PHOTO_UPLOAD_LIMIT = branch_views.MAX_PHOTOS * 11 * 1024 * 1024   # the fields and up to three photos


def _as_of() -> str | None:
    return request.args.get("as_of") or None


@bp.get("/api/branches")
def branches_api():
    """Every organisation with its standing (green, amber, red) and what it is missing."""
    return jsonify(with_notice(branch_views.branches_list(version(), current_lang(), url_for,
                                                          request.args.get("status") or None, _as_of(),
                                                          request.args.get("zone") or None)))


@bp.get("/api/pipeline")
@roles_required("planner", "admin")
def pipeline_api():
    """The member pipeline as a process (time at each step, conversion, who waited longest):
    logged-in office staff only."""
    return jsonify(branch_views.pipeline_view(version(), request.args.get("zone") or None, current_lang(), viewer(),
                                              url_for))


@bp.get("/api/branches/<branch_id>")
def branch_api(branch_id: str):
    return jsonify(with_notice(branch_views.branch_page(version(), branch_id, current_lang(), viewer(), url_for,
                                                        _as_of())))


@bp.get("/branches/<branch_id>")
def branch_page(branch_id: str):
    lang = current_lang()
    data = branch_views.branch_page(version(), branch_id, lang, viewer(), url_for, _as_of())
    return render_template("branch.html", b=data, stage_words=branch_views.stage_words(lang),
                           structure_words=branch_views.structure_words(lang), name=data["name"],
                           today=beijing_today().isoformat())


def _photos() -> tuple[str, ...]:
    """The photos sent with a report, made safe as farm-stay photos are (re-encoded, no EXIF)."""
    from geoapp.data.photos import MAX_PHOTO_BYTES, prepare_photo
    files = [f for f in request.files.getlist("photo") if f and f.filename]
    if len(files) > branch_views.MAX_PHOTOS:
        abort(400, _("At most %(n)d photos with one report.", n=branch_views.MAX_PHOTOS))
    digests = []
    for upload in files:
        photo = prepare_photo(upload.read(MAX_PHOTO_BYTES + 1))
        served().photos.save(photo.digest, photo.files)
        digests.append(photo.digest)
    return tuple(digests)


@bp.post("/api/branches/<branch_id>/activities")
@roles_required("branch", "admin")
def add_activity(branch_id: str):
    """A report of one of the five days: 201 with the report (200 when the same client_key was
    sent before: the phone resent it), 403 for another branch, 401 when not logged in."""
    payload = request.get_json(silent=True) if request.is_json else request.form.to_dict()
    if payload is None:
        abort(400, _("The body is not JSON."))
    current = version()
    branch_views.report_fields(payload)  # the fields are checked before any photo is kept
    report, new = branch_views.record_activity(current, served().stores.reports, viewer(), branch_id, payload,
                                               _photos() if not request.is_json else ())
    published(report.pop("published"))
    if not request.is_json and request.accept_mimetypes.accept_html and not request.accept_mimetypes.accept_json:
        flash(_("Sent. The branch page shows it now."))  # the form sent without script
        return redirect(url_for("branches.branch_page", branch_id=branch_id, lang=current_lang()) + "#calendar")
    return jsonify(report), 201 if new else 200


@bp.route("/api/activities/<activity_id>", methods=["PATCH", "DELETE"])
@roles_required("admin")
def correct_activity(activity_id: str):
    """An admin corrects a reported activity (PATCH with the fields to change) or removes it."""
    remove = request.method == "DELETE"
    payload = None if remove else request.get_json(silent=True)
    if not remove and not isinstance(payload, dict):
        abort(400, _("The body is not JSON."))
    report = branch_views.correct_activity(version(), served().stores.reports, viewer(), activity_id, payload, remove)
    published(report.pop("published"))
    return jsonify(report)


@bp.post("/branches/<branch_id>/activities/<activity_id>")
@roles_required("admin")
def correct_activity_form(branch_id: str, activity_id: str):
    """The branch page's correction form (attendance, topic) and its remove button."""
    remove = request.form.get("action") == "remove"
    payload = {key: request.form[key] for key in ("topic_zh", "attendance", "date", "kind") if request.form.get(key)}
    report = branch_views.correct_activity(version(), served().stores.reports, viewer(), activity_id, payload, remove)
    published(report.pop("published"))
    flash(_("Activity %(id)s removed.", id=activity_id) if remove else _("Activity %(id)s corrected.", id=activity_id))
    return redirect(url_for("branches.branch_page", branch_id=branch_id, lang=current_lang()) + "#calendar")
