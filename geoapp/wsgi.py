"""The WSGI entry point for gunicorn: `gunicorn 'geoapp.wsgi:app'`.

A broken data dir or setting stops start-up with the problems listed, not a traceback."""
import sys

from geoapp import create_app
from geoapp.data.validate import DataError

try:
    app = create_app()
except (DataError, ValueError) as err:  # (a damaged store, a full disk: UserError, a ValueError)
    print(f"geoapp cannot start:\n{err}", file=sys.stderr)
    raise SystemExit(1) from None
