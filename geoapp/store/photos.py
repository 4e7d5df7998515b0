"""Where photo files live: the instance folder's `photos/` (with PostGIS too: point every
server at one shared folder). Named by content (`<sha256>-<size>.jpg`), written atomically and
never changed, so they may be cached forever; which photo belongs to which farm stay is the
`farm_stay_photos` table, versioned like every layer."""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

NAME = re.compile(r"[0-9a-f]{64}-(small|medium|large)\.jpg")


class PhotoFiles:
    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def save(self, digest: str, files: dict[str, bytes]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        for size, data in files.items():
            path = self.folder / f"{digest}-{size}.jpg"
            if path.exists():
                continue
            fd, temp = tempfile.mkstemp(prefix=".photo-", dir=self.folder)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.chmod(temp, 0o644)
            os.replace(temp, path)

    def path(self, name: str) -> Path | None:
        """The file called `name` (only names this store makes), or None."""
        if not NAME.fullmatch(name):
            return None
        path = self.folder / name
        return path if path.is_file() else None
