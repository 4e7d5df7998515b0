"""The views room: one framework-free function per page family (coverage, zones, branches, farm
stays, planning, proposals, the OGC API). Each takes the served version (`served.ServedVersion`), the
parsed parameters, the language and, where it matters, who is asking (`Viewer`), and returns
plain data; `geoapp.web` renders that as a page or as JSON, so a page and its JSON twin are the
same data. Errors are `geoapp.messages.UserError`s with their HTTP status (404, 403, 422 …).

Floors: data → analysis → maps → views → web (the CLI beside the web). Nothing here imports
Flask or the web room.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Viewer:
    """Who is asking: anonymous (the public), or a logged-in user with a role (and, for a
    branch secretary, the organisation they report for)."""
    name: str | None = None
    role: str | None = None
    branch: str | None = None

    @property
    def signed_in(self) -> bool:
        return self.name is not None

    @property
    def disclose(self) -> bool:
        """Whether small counts of people may be shown (logged-in office users only: not the
        public, and not a branch secretary, who reports for one branch)."""
        return self.role in ("planner", "admin")


PUBLIC = Viewer()
