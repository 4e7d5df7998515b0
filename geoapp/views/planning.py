"""Planning new industry bases: the page, the public analysis of a site, the ranked candidate
sites (and their export), and a site read from a file. Sites arrive in the base map's datum
(GCJ-02 on an Amap base map) and are analysed in WGS-84, as stored."""
from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import shapely

from geoapp import params
from geoapp.analysis.planning import analyse_site, candidate_sites
from geoapp.data.readers import SUPPORTED
from geoapp.data.sites import parse_site, read_site_file
from geoapp.layers import INDUSTRIES
from geoapp.maps.elements import control_words, render_parts
from geoapp.maps.planning import planning_map
from geoapp.messages import N_, UserError, translator
from geoapp.params import ParamError
from geoapp.static_files import StaticFiles
from geoapp.views.coverage import coverage_layers
from geoapp.views.served import ServedVersion
from geoapp.vocabulary import FACTOR_WORDS, PROPOSAL_FIELD_WORDS
from geoapp.workflow import STATUSES

MAX_SITE_BYTES = 1024 * 1024             # a proposed site sent as JSON is at most 1 MiB
MAX_SITE_FILE_BYTES = 20 * 1024 * 1024   # a site uploaded as a file (a zipped Shapefile, a GeoPackage)


class UnreadableSite(UserError):
    """A site file that cannot be used: each problem is in `problems`, in the file's order."""
    status = 422

    def __init__(self, problems: list):
        super().__init__(problems[0].message)
        self.problems = problems


def to_stored(version: ServedVersion, geometry):
    """A geometry the browser sent, in WGS-84 as stored (shifted back from a GCJ-02 base map)."""
    return version.tiles.from_display(geometry)


def industries(lang: str) -> dict[str, str]:
    return {key: zh if lang == "zh" else en for key, (zh, en) in INDUSTRIES.items()}


def planning_page(version: ServedVersion, static: StaticFiles, lang: str, layer_url: str, identify_url: str) -> dict:
    """The planning page: the map to plan against, the industries, and every word its script shows."""
    figure = planning_map(coverage_layers(version, "industry_branches", lang), version.tiles, static,
                          layer_url, identify_url, control_words(lang, identify=True)).get_root()
    names = industries(lang)
    return {"map": render_parts(figure), "industries": names, "has_dem": version.planning.dem_path is not None,
            "supported": SUPPORTED, "max_site_bytes": MAX_SITE_FILE_BYTES, "words": script_words(lang, names)}


def analysis(version: ServedVersion, payload) -> dict:
    """What a site (a GeoJSON Feature with `properties.industry`) would be and change."""
    geometry, industry = parse_site(payload)
    return analyse_site(version.planning, to_stored(version, geometry), industry)


def candidates(version: ServedVersion, args: Mapping[str, str]) -> dict:
    """The best `n` sites for `industry`, ranked, with each factor."""
    n = params.whole(args, "n", 1, 50, default=10) or 10
    industry = params.choice(args, "industry", INDUSTRIES)
    if industry is None:
        raise ParamError(N_("choose the industry of the base: one of %(industries)s"), parameter="industry",
                         industries=", ".join(INDUSTRIES))
    return candidate_sites(version.planning, industry, n)


def candidate_rows(found: dict, lang: str) -> list[dict]:
    """The suggested sites as rows of a spreadsheet (or properties of a GeoJSON), in `lang`."""
    _ = translator(lang)
    rows = []
    for c in found["candidates"]:
        row = {_("Rank"): c["rank"], _("Score"): c["score"], _("Township"): c["township_name"][lang],
               _("Linkage zone"): c["zone"][f"name_{lang}"], _("Distance to the zone (m)"): c["zone"]["distance_m"],
               _("Longitude"): c["lon"], _("Latitude"): c["lat"]}
        for key, factor in c["factors"].items():
            row[f"{_(FACTOR_WORDS[key])} ({_('score')})"] = factor["score"]
        rows.append(row)
    return rows


def site_from_file(version: ServedVersion, path: Path, crs: str | None, encoding: str | None, translate) -> dict:
    """A site from a file the importer reads (GeoJSON, GeoPackage, zipped Shapefile, CSV/XLSX),
    in any coordinate system it converts: its features and their union, in the base map's
    datum; UnreadableSite when it cannot be used."""

    found = read_site_file(path, crs, encoding)
    if found.problems:
        raise UnreadableSite(found.problems)
    shown = version.tiles.to_display

    def display(geometry):
        return json.loads(shapely.to_geojson(shown(geometry) if shown else geometry))
    return {"features": [{"type": "Feature", "geometry": display(g), "properties": {"label": label}}
                         for g, label in zip(found.geometries, found.labels)],
            "union": display(found.union), "notes": [translate(n) for n in found.notes]}


def drawing_words(lang: str) -> dict:
    """Every word of the drawing tools (Leaflet.draw's L.drawLocal, only the tools the page uses:
    the polygon, editing its corners), in the page's language."""
    _ = translator(lang)
    cancel = {"title": _("Cancel drawing"), "text": _("Cancel")}
    return {
        "draw": {"toolbar": {"actions": cancel, "finish": {"title": _("Finish drawing"), "text": _("Finish")},
                             "undo": {"title": _("Delete the last corner drawn"), "text": _("Delete last corner")},
                             "buttons": {"polygon": _("Draw the site (a polygon)")}},
                 "handlers": {"polygon": {"tooltip": {"start": _("Click to place the site's first corner."),
                                                      "cont": _("Click to place the next corner."),
                                                      "end": _("Click the first corner to close the site.")}},
                              "polyline": {"error": _("The site's edges cannot cross."),
                                           "tooltip": {"start": _("Click to place the site's first corner."),
                                                       "cont": _("Click to place the next corner."),
                                                       "end": _("Click the first corner to close the site.")}}}},
        "edit": {"toolbar": {"actions": {"save": {"title": _("Keep the corners as moved"), "text": _("Done")},
                                         "cancel": {"title": _("Put the corners back as they were"), "text": _("Cancel")},
                                         "clearAll": {"title": _("Remove the site"), "text": _("Remove")}},
                             "buttons": {"edit": _("Move the site's corners"), "editDisabled": _("No site to edit yet"),
                                         "remove": _("Remove the site"), "removeDisabled": _("No site to remove")}},
                 "handlers": {"edit": {"tooltip": {"text": _("Drag a corner to move it."),
                                                   "subtext": _("Cancel puts the corners back.")}},
                              "remove": {"tooltip": {"text": _("Click the site to remove it.")}}}},
        "area_units": {"mu": _("mu"), "ha": _("ha"), "m2": _("m²")},
    }


def script_words(lang: str, industry_names: dict) -> dict:
    """Every label static/js/planning.js shows, in the page's language."""
    _ = translator(lang)

    def slots(text: str, *names: str) -> str:  # a translated message with {name} slots for the script to fill
        return text % {name: "{" + name + "}" for name in names}
    return {
        "draw": drawing_words(lang),
        "lang": lang, "industries": industry_names, "statuses": {status: _(status) for status in STATUSES},
        "click_map": _("Click the map where the base would be (or press Enter on the map for its centre)."),
        "which_reading": _("Which is it? The numbers can be read both ways:"),
        "analysing": _("Analysing…"), "failed": _("The analysis failed"),
        "place": _("Where it is"), "townships": _("Townships"), "zone": _("Linkage zone"),
        "outside": slots(_("Outside every zone; the nearest is %(zone)s, %(distance)s m away"), "zone", "distance"),
        "area": _("Area"), "mu": _("mu"), "ha": _("ha"), "point": _("a point (no area)"),
        "overlaps": _("Overlaps with existing bases"), "none": _("none"),
        "same_industry": _("Nearest bases of the same industry"), "branch": _("Nearest party branch"),
        "training": _("Nearest training base"), "m": _("m"),
        "service": slots(_("Within %(radius)s m (estimated by area share)"), "radius"),
        "households": _("households benefiting"), "population": _("people"), "villages": _("villages"),
        "missing": slots(_("no population or village count for: %(townships)s"), "townships"),
        "coverage": _("What it changes"),
        "statements": {
            "outside_zone": slots(_("It would be a base outside every zone (a new coverage gap) unless %(zone)s, "
                                  "%(distance)s m away, is extended."), "zone", "distance"),
            "adds_to_zone": slots(_("Adds %(area)s mu of bases to %(zone)s."), "area", "zone"),
            "in_zone": slots(_("It lies in %(zone)s."), "zone"),
            "lead_industry": _("This is the zone's lead industry."),
            "other_industry": slots(_("The zone is led by %(zone_industry)s, not %(industry)s: its branch and "
                                      "cooperatives work for another industry."), "zone_industry", "industry"),
            "closes_township_gap": slots(_("%(township)s has no zone branch: a branch for this base would close "
                                         "that gap."), "township"),
            "new_area_for_industry": _("No base of this industry within 10 km: a new area for it."),
            "overlaps": slots(_("It overlaps existing bases: %(bases)s."), "bases"),
        },
        "candidates": _("Suggested sites"), "score": _("score"), "use": _("Use this site"),
        "factors": {key: _(word) for key, word in FACTOR_WORDS.items()},
        "weight": _("weight"), "value": _("value"),
        "no_elevation": _("No elevation raster is configured (GEOAPP_DEM): the elevation band and the "
                          "reservoir exclusion are skipped."),
        "elevation": slots(_("Elevation band %(low)s–%(high)s m; land below %(reservoir)s m (the reservoir) is "
                           "excluded."), "low", "high", "reservoir"),
        "saved": _("Saved."), "saved_at": slots(_("Saved at %(time)s"), "time"),
        "confirm_move": slots(_("Move “%(name)s” to %(status)s?"), "name", "status"),
        "moved_to": slots(_("“%(name)s” is now %(status)s."), "name", "status"),
        "confirm_yes": _("Yes, move it"), "confirm_no": _("No"), "deleted": _("Deleted."), "delete": _("Delete"), "confirm_delete":
            _("Delete this proposal?"), "show": _("Show"), "no_site": _("Propose a site first."),
        "too_big": _("The file is larger than 1 MiB."), "not_json": _("The file is not GeoJSON"),
        "no_proposals": _("No proposals yet."), "by": _("by"),
        "choose_industry": _("Choose the industry of the base first: the analysis depends on it."),
        "about": _("about"), "edit": _("Edit"), "editing": slots(_("Editing proposal %(id)s"), "id"),
        "new_proposal": _("New proposal"), "history": _("History"), "sheet": _("Sheet (PDF)"),
        "compare": _("Compare the two ticked"), "tick_two": _("Tick two proposals to compare them."),
        "move_to": _("Move to"), "comment": _("Review comment"), "locked": _("Locked: an admin may reopen it."),
        "actions": {"created": _("created"), "edited": _("edited"), "moved": _("moved"), "deleted": _("deleted")},
        "fields": {key: _(word) for key, word in PROPOSAL_FIELD_WORDS.items()},
        "edit_site": _("Drag the site's corners on the map, then save."),
        "where": slots(_("%(township)s · %(zone)s · %(lat)s, %(lon)s"), "township", "zone", "lat", "lon"),
        "reasons": {
            "in_lead_zone": slots(_("inside %(zone)s, led by this industry"), "zone"),
            "in_other_zone": slots(_("inside %(zone)s, led by another industry"), "zone"),
            "near_zone": slots(_("%(distance)s from %(zone)s"), "distance", "zone"),
            "near_base": slots(_("%(distance)s from %(target)s"), "distance", "target"),
            "near_cooperative": slots(_("%(distance)s from %(target)s"), "distance", "target"),
            "near_branch": slots(_("%(distance)s from %(target)s"), "distance", "target"),
            "none_of_industry": _("none of this industry in the county"),
        },
        "km": _("km"), "export_csv": _("CSV"), "export_geojson": _("GeoJSON"),
        "features_found": slots(_("The file holds %(count)s features: choose one, or analyse them together."), "count"),
        "all_together": _("All together"), "uploading": _("Reading the file…"),
        "from_candidate": slots(_("From suggested site %(rank)s (score %(score)s)"), "rank", "score"),
    }


TYPED_DATUMS = ("wgs84", "gcj02", "bd09")   # GPS and most apps; Amap and Tencent; Baidu


def typed_point(version: ServedVersion, args: Mapping[str, str], lang: str) -> dict:
    """A point typed or pasted (`text`) in `datum`: each reading of it (longitude first, or
    latitude first when that is what the numbers allow) in WGS-84 as stored and in the base
    map's datum as drawn, each said in words so that a person can choose when there are two."""
    from geoapp.crs import bd09_to_wgs84, gcj02_to_wgs84
    readings = params.typed_point(args, "text")
    if readings is None:
        raise params.ParamError(N_("text is required: the point's two numbers"), parameter="text")
    datum = params.choice(args, "datum", TYPED_DATUMS) or "wgs84"
    lon, lat = np.array([r[0] for r in readings]), np.array([r[1] for r in readings])
    if datum != "wgs84":
        lon, lat = (gcj02_to_wgs84 if datum == "gcj02" else bd09_to_wgs84)(lon, lat)
    points = shapely.points(lon, lat)
    shown = version.tiles.to_display(points) if version.tiles.to_display else points
    _ = translator(lang)
    return {"datum": datum, "readings": [
        {"lon": round(float(p.x), 7), "lat": round(float(p.y), 7), "display": [round(float(d.x), 7), round(float(d.y), 7)],
         "words": _("latitude %(lat)s, longitude %(lon)s") % {"lat": f"{r[1]:g}", "lon": f"{r[0]:g}"}}
        for r, p, d in zip(readings, points, shown)]}
