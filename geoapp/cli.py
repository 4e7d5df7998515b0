"""The command line (BRIEF §7): `geoapp serve | summary | sample | validate | create-user`.

Each command calls the same functions the web app does. A failure prints what is wrong,
naming file and row, and exits non-zero; it never prints a traceback for bad data.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from geoapp.data.validate import DataError

EXIT_BAD_DATA = 1
EXIT_USAGE = 2


def _data_dir(args) -> Path:
    from geoapp.config import settings_from_environment
    return Path(args.data_dir) if getattr(args, "data_dir", None) else settings_from_environment()["GEOAPP_DATA_DIR"]


def cmd_serve(args) -> int:
    from geoapp import create_app
    overrides = {"GEOAPP_DATA_DIR": args.data_dir} if args.data_dir else {}
    app = create_app(overrides)
    print(f"geoapp: serving {app.extensions['geoapp'].analysis.dataset.source} "
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
    summary = analyse(load_dataset(_data_dir(args))).summary
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
        return 0
    width = max(len(f.key) for f in ARTICLE_FIGURES)
    for f in ARTICLE_FIGURES:
        mark = "" if f.agrees_with(summary[f.key]) else "   <- the article says " + f.words_zh
        print(f"{f.key:<{width}}  {summary[f.key]:>14,}{mark}")
    return 0


def cmd_sample(args) -> int:
    from geoapp.data.sample import write_sample
    for path in write_sample(Path(args.out) if args.out else _data_dir(args)):
        print(f"wrote {path}")
    return 0


def cmd_validate(args) -> int:
    """Check FILE as LAYER, including its keys against the other layers of the data dir."""
    from geoapp.data.load import load_dataset, read_file
    from geoapp.data.validate import check_references
    from geoapp.layers import LAYERS, spec
    try:
        layer = spec(args.layer)
    except KeyError as err:
        print(f"geoapp validate: {err.args[0]}", file=sys.stderr)
        return EXIT_USAGE
    frame, problems = read_file(layer, Path(args.file))
    if frame is not None and not problems:
        others = dict(load_dataset(_data_dir(args)))
        others[layer.id] = frame
        problems = [p for p in check_references(others, LAYERS) if p.file == layer.filename]
        problems = [p.__class__(Path(args.file).name, p.row, p.message) for p in problems]
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        print(f"{len(problems)} problem(s); nothing was changed", file=sys.stderr)
        return EXIT_BAD_DATA
    print(f"{args.file}: {len(frame)} rows, valid as {layer.id}")
    return 0


def cmd_create_user(args) -> int:
    """Add a planner or admin (or reset their password); the password is asked for, or read
    from the first line of standard input when that is not a terminal."""
    import getpass

    from geoapp.config import settings_from_environment
    from geoapp.store.users import UserStore
    from geoapp.web.state import store_path
    if sys.stdin.isatty():
        password = getpass.getpass(f"password for {args.name}: ")
        if getpass.getpass("again: ") != password:
            print("geoapp create-user: the passwords differ; nothing was changed", file=sys.stderr)
            return EXIT_USAGE
    else:
        password = sys.stdin.readline().rstrip("\n")
    path = store_path(settings_from_environment()["GEOAPP_INSTANCE"])
    try:
        user = UserStore(path).create(args.name, password, args.role)
    except ValueError as err:
        print(f"geoapp create-user: {err}; nothing was changed", file=sys.stderr)
        return EXIT_USAGE
    print(f"{user.name} can now log in as {user.role} (users are kept in {path})")
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
    sample.set_defaults(run=cmd_sample)
    validate = commands.add_parser("validate", help="check a file against a layer's schema")
    validate.add_argument("layer")
    validate.add_argument("file")
    validate.set_defaults(run=cmd_validate)
    create_user = commands.add_parser("create-user", help="add a user who may save proposals")
    create_user.add_argument("name")
    create_user.add_argument("--role", choices=("planner", "admin"), default="planner")
    create_user.set_defaults(run=cmd_create_user)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except DataError as err:
        print(f"geoapp {args.command}: the data in {_data_dir(args)} has problems:", file=sys.stderr)
        for problem in err.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_BAD_DATA
    except ValueError as err:  # a wrong setting, such as GEOAPP_TILES
        print(f"geoapp {args.command}: {err}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
