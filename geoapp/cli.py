"""The command line (docs/BRIEF.md §7): serve, summary, sample, validate, import, export, history,
rollback, create-user.

Each command calls the same functions the web app does. A failure prints what is wrong,
naming file and row, and exits non-zero; it never prints a traceback for bad data.
"""
from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from pathlib import Path

from geoapp.data.validate import DataError
from geoapp.messages import UserError

EXIT_BAD_DATA = 1
EXIT_USAGE = 2


def _data_dir(args) -> Path:
    from geoapp.config import settings_from_environment
    return Path(args.data_dir) if getattr(args, "data_dir", None) else settings_from_environment()["GEOAPP_DATA_DIR"]


def cmd_serve(args) -> int:
    from geoapp import create_app
    overrides = {"GEOAPP_DATA_DIR": args.data_dir} if args.data_dir else {}
    app = create_app(overrides)
    print(f"geoapp: serving {app.extensions['geoapp'].newest.dataset.source} "
          f"at http://{args.host}:{args.port}/", flush=True)
    if args.debug:
        app.run(host=args.host, port=args.port, debug=True)
    else:
        from werkzeug.serving import run_simple
        run_simple(args.host, args.port, app, threaded=True)
    return 0


def cmd_summary(args) -> int:
    from geoapp.analysis import analyse
    from geoapp.data.load import load_dataset
    from geoapp.figures import ARTICLE_FIGURES
    dataset = load_dataset(args.data_dir) if args.data_dir else _current(args)[0]
    summary = analyse(dataset).summary
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
        return 0
    width = max(len(f.key) for f in ARTICLE_FIGURES)
    for f in ARTICLE_FIGURES:
        mark = "" if f.agrees_with(summary[f.key]) else "   <- the article says " + f.words_zh
        print(f"{f.key:<{width}}  {summary[f.key]:>14,}{mark}")
    return 0


def cmd_sample(args) -> int:
    from geoapp.sample import write_sample
    out = Path(args.out) if args.out else _data_dir(args)
    if args.counties > 1 or args.townships_per_county or args.farm_stays:  # synthetic, for scale
        import tempfile

        from geoapp.sample import synthetic
        with tempfile.TemporaryDirectory() as one:
            write_sample(Path(one))
            if args.townships_per_county:
                synthetic.write_many_townships(Path(one), args.townships_per_county)
            if args.farm_stays:
                synthetic.write_many_farm_stays(Path(one), args.farm_stays)
            paths = synthetic.replicate_counties(Path(one), out, args.counties)
    else:
        paths = write_sample(out)
    for path in paths:
        print(f"wrote {path}")
    return 0


def _at_least(smallest: int):
    """An argparse type: a whole number not below `smallest`."""
    def parse(text: str) -> int:
        try:
            number = int(text)
        except ValueError:
            number = None
        if number is None or number < smallest:
            raise argparse.ArgumentTypeError(f"a whole number from {smallest}, not {text!r}")
        return number
    return parse


def _stores(args):
    """The stores the commands work on (the instance's, or PostGIS), the layer store seeded on
    first use. Only the stores are opened: history, rollback and export work even when the
    current version of some layer does not load."""
    from geoapp.config import settings_from_environment
    from geoapp.data.load import seed_store
    from geoapp.store import open_stores
    settings = settings_from_environment()
    stores = open_stores(settings["GEOAPP_INSTANCE"], settings["DATABASE_URL"])
    if not stores.layers.current_versions():
        seed_store(stores.layers, _data_dir(args))
    return stores


def _layer_store(args):
    return _stores(args).layers


def _current(args):
    """(dataset, layer store): the data the app would serve now (the branches' reports
    included), and its store."""
    from geoapp.data.load import open_dataset
    from geoapp.views.served import with_branch_reports
    stores = _stores(args)
    store = stores.layers
    dataset = with_branch_reports(open_dataset(store, _data_dir(args)), stores)
    for skipped in dataset.skipped:
        print(f"warning: {skipped.layer} v{skipped.version} does not load and is not served: "
              f"{skipped.problems[0]}", file=sys.stderr)
    return dataset, store


class ProgressBar:
    """A one-line progress bar on standard error (only when it is a terminal, or asked for)."""

    def __init__(self, enabled: bool):
        self.enabled = enabled

    def __call__(self, what: str, fraction: float) -> None:
        if self.enabled:
            filled = int(30 * fraction)
            print(f"\r[{'#' * filled}{'.' * (30 - filled)}] {fraction:4.0%} {what:<28}", end="", file=sys.stderr,
                  flush=True)
            if fraction >= 1:
                print(file=sys.stderr)


def _report(report) -> None:
    for line in report.lines():
        print(line, file=sys.stderr if not line.startswith(("hint", "note")) else sys.stdout)


def _checked(args, dataset, progress=None, store=None):
    """The report on the command's FILE for LAYER; printed and None when it has problems."""
    from geoapp.data.imports import prepare_import
    report = prepare_import(args.file, args.layer, dataset, args.crs, args.encoding, progress, store)
    if report.ok:
        return report
    if progress is not None and progress.enabled:
        print(file=sys.stderr)  # end the progress bar's line
    _report(report)
    print(f"{len(report.problems)} problem(s); nothing was changed", file=sys.stderr)
    return None


def cmd_validate(args) -> int:
    """Check FILE as LAYER (schema, keys, the other layers, the county) without writing anything."""
    dataset, store = _current(args)
    report = _checked(args, dataset, store=store)
    if report is None:
        return EXIT_BAD_DATA
    _report(report)
    print(f"{args.file}: {report.rows} rows, valid as {args.layer}")
    _changes(report)
    return 0


def _changes(report) -> None:
    """What the file changes against the version served, as `validate` and `import` say it."""
    if report.changes is None:
        return
    against = f"v{report.served_version}" if report.served_version is not None else "the data served"
    if report.changes.nothing:
        print(f"nothing changed against {report.layer} {against}: importing it makes no new version")
        return
    print(f"against {report.layer} {against}:")
    for line in report.changes.lines():
        print(f"  {line}")


def cmd_import(args) -> int:
    """Check FILE and, if it is clean, publish it as the new current version of LAYER."""
    import getpass

    from geoapp.data.imports import publish_import
    dataset, store = _current(args)
    progress = ProgressBar(args.progress or sys.stderr.isatty())
    report = _checked(args, dataset, progress)
    if report is None:
        return EXIT_BAD_DATA
    version = publish_import(store, report, args.who or getpass.getuser(), progress)
    _report(report)
    _changes(report)
    if report.changes is not None and report.changes.nothing and report.served_version is not None:
        print(f"{args.layer} stays at v{version}: {args.file} holds what is served")
        return 0
    print(f"{args.layer} v{version}: {report.rows} rows from {args.file} ({report.checksum[:19]}…)")
    return 0


def cmd_export(args) -> int:
    from geoapp.data.export import export_frame
    from geoapp.layers import spec
    store = _layer_store(args)
    try:
        spec(args.layer)
        path = export_frame(store.read(args.layer, args.version), args.layer, args.file)
    except UserError:  # a damaged store, a full disk: said by main
        raise
    except (KeyError, ValueError) as err:
        print(f"geoapp export: {err.args[0]}", file=sys.stderr)
        return EXIT_USAGE
    print(f"wrote {path}")
    return 0


def cmd_history(args) -> int:
    store = _layer_store(args)
    try:
        versions = store.history(args.layer)
    except KeyError as err:
        print(f"geoapp history: {err.args[0]}", file=sys.stderr)
        return EXIT_USAGE
    for v in versions:
        mark = "*" if v.current else " "
        print(f"{mark} v{v.version:<3} {v.created}  {v.who:<12} {v.rows:>7} rows  {v.checksum[:19]}  "
              f"{v.source_file}{'  (' + v.note + ')' if v.note else ''}")
    return 0


def cmd_rollback(args) -> int:
    import getpass
    store = _layer_store(args)
    try:
        version = store.rollback(args.layer, args.version, args.who or getpass.getuser())
    except KeyError as err:
        print(f"geoapp rollback: {err.args[0]}; nothing was changed", file=sys.stderr)
        return EXIT_USAGE
    print(f"{args.layer} v{version.version} is now current: the data of v{args.version}")
    return 0


def cmd_check(args) -> int:
    """Check every page of the instance GeoPackages and their copies; say what is sound."""
    from geoapp.config import settings_from_environment
    from geoapp.store import instance_files
    from geoapp.store.health import StoreDamaged, backup_path, check_file, keep_copy
    settings = settings_from_environment()
    if settings["DATABASE_URL"]:
        print("geoapp check: the store is PostGIS (DATABASE_URL): PostgreSQL checks its own files")
        return 0
    instance = Path(settings["GEOAPP_INSTANCE"])
    files = instance_files(instance)
    sound = True
    for path in [*files, *(backup_path(p) for p in files if backup_path(p).exists())]:
        try:
            check_file(path, full_check=True)
            print(f"{path}: sound")
        except StoreDamaged as err:
            sound = False
            print(f"{path}: {err}")
    if sound:
        for path in files:
            if path.name != "layers.gpkg":
                keep_copy(path)  # (the layer store's copy is made at each publish)
    return 0 if sound else EXIT_BAD_DATA


def cmd_restore(args) -> int:
    """Put back the copy of a damaged store: the layers (made at the last publish) or, with
    --proposals, the proposals and users (made at the last start or check)."""
    from geoapp.config import settings_from_environment
    from geoapp.store import PROPOSALS_FILE
    from geoapp.store.health import restore
    from geoapp.store.layers import STORE_FILE, GeoPackageLayerStore
    settings = settings_from_environment()
    if settings["DATABASE_URL"]:
        print("geoapp restore: the store is PostGIS (DATABASE_URL): restore it with PostgreSQL's own backups",
              file=sys.stderr)
        return EXIT_USAGE
    instance = Path(settings["GEOAPP_INSTANCE"])
    if args.proposals:
        copy = restore(instance / PROPOSALS_FILE)
        print(f"{instance / PROPOSALS_FILE}: restored from {copy}")
        return 0
    copy = GeoPackageLayerStore(instance).restore()
    versions = GeoPackageLayerStore(instance).current_versions()
    print(f"{instance / STORE_FILE}: restored from {copy} ({len(versions)} layers; "
          + ", ".join(f"{k} v{v}" for k, v in sorted(versions.items())) + ")")
    return 0


def cmd_report(args) -> int:
    """Write the county committee's coverage report (A4 landscape PDF): to OUT, or with
    --to-shelf into the instance's document shelf, where the web serves it (the web starts
    this to make a report off its request path: `geoapp.views.shelf`)."""
    from geoapp.analysis.counties import county_codes, county_slice
    from geoapp.config import settings_from_environment
    from geoapp.views.documents import coverage_report_pdf, report_name
    from geoapp.views.served import version_of_dataset
    from geoapp.views.shelf import Shelf, version_key
    dataset = _current(args)[0]
    if args.county is not None:
        if args.county not in county_codes(dataset):
            print(f"geoapp report: there is no county {args.county!r}; the data holds "
                  f"{', '.join(county_codes(dataset))}", file=sys.stderr)
            return EXIT_USAGE
        dataset = county_slice(dataset, args.county)
    version = version_of_dataset(dataset)
    if args.metric not in version.analysis.metrics:
        print(f"geoapp report: unknown indicator {args.metric!r}; choose one of {', '.join(version.analysis.metrics)}",
              file=sys.stderr)
        return EXIT_USAGE
    def make() -> bytes:
        return coverage_report_pdf(version, args.metric, args.lang, disclose=args.exact)
    if args.to_shelf:
        shelf = Shelf(Path(settings_from_environment()["GEOAPP_INSTANCE"]) / "documents")
        path = shelf.render(version_key(version, args.county), report_name(args.metric, args.lang), make)
        print(f"shelved {path}" if path else "another renderer is at work; nothing made", flush=True)
        return 0
    if not args.out:
        print("geoapp report: name the PDF to write (or --to-shelf)", file=sys.stderr)
        return EXIT_USAGE
    pdf = make()
    from geoapp.data.files import write_bytes
    write_bytes(Path(args.out), pdf)
    print(f"wrote {args.out} ({len(pdf) / 1e6:.1f} MB)")
    return 0


def cmd_basemap(args) -> int:
    """Build a raster base map of the county (MBTiles) for use without internet."""
    from geoapp.analysis import analyse
    from geoapp.config import settings_from_environment
    from geoapp.maps.basemap import build_basemap
    extra = Path(args.extra) if args.extra else None
    dem = Path(args.dem) if args.dem else (Path(d) if (d := settings_from_environment()["GEOAPP_DEM"]) else None)
    for given in (extra, dem):
        if given is not None and not given.is_file():
            print(f"geoapp basemap: no such file: {given}", file=sys.stderr)
            return EXIT_USAGE
    low, high = args.zooms
    if not 0 <= low <= high <= 18:
        print("geoapp basemap: --zooms takes two zoom levels from 0 to 18, the first not above the second",
              file=sys.stderr)
        return EXIT_USAGE
    count = build_basemap(analyse(_current(args)[0]), Path(args.out), range(low, high + 1), extra, dem, args.names)
    print(f"wrote {args.out}: {count} tiles, zoom {low}-{high}; serve it with GEOAPP_TILES=mbtiles:{args.out}")
    return 0


def cmd_create_user(args) -> int:
    """Add a planner, an admin or a branch secretary (or reset their password); the password is
    asked for, or read from the first line of standard input when that is not a terminal."""
    import getpass

    from geoapp.config import settings_from_environment
    from geoapp.views.branches import create_account
    if sys.stdin.isatty():
        password = getpass.getpass(f"password for {args.name}: ")
        if getpass.getpass("again: ") != password:
            print("geoapp create-user: the passwords differ; nothing was changed", file=sys.stderr)
            return EXIT_USAGE
    else:
        password = sys.stdin.readline().rstrip("\n")
    settings = settings_from_environment()
    where = "the database" if settings["DATABASE_URL"] else settings["GEOAPP_INSTANCE"]
    try:
        dataset = _current(args)[0] if args.branch else None
        user = create_account(_stores(args).users, dataset, args.name, password, args.role, args.branch or "")
    except UserError as err:
        print(f"geoapp create-user: {err}; nothing was changed", file=sys.stderr)
        return EXIT_USAGE
    role = f"{user.role} of {user.branch}" if user.branch else user.role
    print(f"{user.name} can now log in as {role} (users are kept in {where})")
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="geoapp", description=__doc__.splitlines()[0])
    top.add_argument("--data-dir", help="the layers and tables (default: GEOAPP_DATA_DIR or geodata/)")
    commands = top.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the web app")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=5000)
    serve.add_argument("--debug", action="store_true")
    serve.set_defaults(run=cmd_serve)
    summary = commands.add_parser("summary", help="print the county figures computed from the data")
    summary.add_argument("--json", action="store_true")
    summary.set_defaults(run=cmd_summary)
    sample = commands.add_parser("sample", help="rebuild the illustrative data (deterministic)")
    sample.add_argument("--out", help="write here instead of the data dir")
    sample.add_argument("--counties", type=int, default=1,
                        help="that many copies of the sample county side by side, each with its own keys (synthetic)")
    sample.add_argument("--townships-per-county", type=_at_least(30), metavar="M",
                        help="split each county into M townships (the 30 real seats and random ones; synthetic)")
    sample.add_argument("--farm-stays", type=_at_least(1), metavar="K",
                        help="K random farm stays in each county instead of the sample's (synthetic)")
    sample.set_defaults(run=cmd_sample)
    for name, run, text in (("validate", cmd_validate, "check a file for a layer; writes nothing"),
                            ("import", cmd_import, "check a file and publish it as the layer's new version")):
        command = commands.add_parser(name, help=text)
        command.add_argument("layer")
        command.add_argument("file")
        command.add_argument("--crs", help="the file's coordinates: wgs84, cgcs2000, gcj02 (Amap, Tencent), "
                                           "bd09 (Baidu) or an EPSG code")
        command.add_argument("--encoding", help="the text encoding when not UTF-8, e.g. gbk")
        if name == "import":
            command.add_argument("--who", help="recorded in the history (default: your login name)")
            command.add_argument("--progress", action="store_true", help="show progress even when not a terminal")
        command.set_defaults(run=run)
    export = commands.add_parser("export", help="write a layer as .geojson, .gpkg, .csv or .zip (Shapefile)")
    export.add_argument("layer")
    export.add_argument("file")
    export.add_argument("--version", type=int, help="an earlier version (default: the current one)")
    export.set_defaults(run=cmd_export)
    history = commands.add_parser("history", help="list a layer's versions")
    history.add_argument("layer")
    history.set_defaults(run=cmd_history)
    rollback = commands.add_parser("rollback", help="make an earlier version current again")
    rollback.add_argument("layer")
    rollback.add_argument("version", type=int)
    rollback.add_argument("--who")
    rollback.set_defaults(run=cmd_rollback)
    check = commands.add_parser("check", help="check every page of the instance store and its copies")
    check.set_defaults(run=cmd_check)
    restore = commands.add_parser("restore", help="put back the copy of a damaged store (made at the last import)")
    restore.add_argument("--proposals", action="store_true",
                         help="the proposals and users (geoapp.gpkg) instead of the layers")
    restore.set_defaults(run=cmd_restore)
    report = commands.add_parser("report", help="write the county committee's coverage report as a PDF")
    report.add_argument("out", nargs="?", help="the PDF to write, e.g. report.pdf")
    report.add_argument("--metric", default="industry_branches", help="the indicator the townships are shaded by")
    report.add_argument("--lang", choices=("zh", "en"), default="zh")
    report.add_argument("--county", help="one county's report, when the data holds several")
    report.add_argument("--exact", action="store_true",
                        help="show counts of people under five exactly (for the office; the public sees "
                             "'fewer than 5')")
    report.add_argument("--to-shelf", action="store_true", help=argparse.SUPPRESS)
    report.set_defaults(run=cmd_report)
    basemap = commands.add_parser("basemap", help="base maps for use without internet")
    basemap_commands = basemap.add_subparsers(dest="basemap_command", required=True)
    build = basemap_commands.add_parser("build", help="draw the county's base map into an MBTiles file")
    build.add_argument("out", help="the .mbtiles file to write")
    build.add_argument("--extra", help="a GeoPackage of roads, rivers or lakes to draw too")
    build.add_argument("--dem", help="an elevation GeoTIFF for the hillshade (default: GEOAPP_DEM)")
    build.add_argument("--zooms", type=int, nargs=2, default=(8, 13), metavar=("FROM", "TO"),
                       help="zoom levels to draw (default 8 13)")
    build.add_argument("--names", action="store_true",
                       help="name the townships in the tiles (for other programs; geoapp's maps name them itself)")
    build.set_defaults(run=cmd_basemap)
    create_user = commands.add_parser("create-user", help="add a planner, an admin or a branch secretary")
    create_user.add_argument("name")
    create_user.add_argument("--role", choices=("planner", "admin", "branch"), default="planner")
    create_user.add_argument("--branch", help="with --role branch: the party organisation (id) they report for")
    create_user.set_defaults(run=cmd_create_user)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except DataError as err:
        print(f"geoapp {args.command}: the data in {err.source or _data_dir(args)} has problems:", file=sys.stderr)
        for problem in err.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_BAD_DATA
    except UserError as err:  # a version the store refused to keep as given, and the like
        text = str(err)
        print(f"geoapp {args.command}: {text}" + ("" if "nothing was changed" in text else "; nothing was changed"),
              file=sys.stderr)
        return EXIT_BAD_DATA
    except Exception as err:  # a damaged store file, a full disk: said in one line; anything else is a bug
        from geoapp.store.health import DAMAGED_FILE_WORDS, is_disk_full
        if not (isinstance(err, sqlite3.DatabaseError) or is_disk_full(err)
                or any(words in str(err).lower() for words in DAMAGED_FILE_WORDS)):
            raise
        from geoapp.config import settings_from_environment
        from geoapp.store import diagnosis
        found = diagnosis(Path(settings_from_environment()["GEOAPP_INSTANCE"]), err)
        print(f"geoapp {args.command}: {found}", file=sys.stderr)
        return EXIT_BAD_DATA
    except ValueError as err:  # a wrong setting, such as GEOAPP_TILES
        print(f"geoapp {args.command}: {err}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
