"""Photos of farm stays, as the data keeper uploads them: checked and made safe to publish.

A photo is decoded and drawn again by Pillow (so nothing but pixels survives: no EXIF, no GPS
position of the photographer's phone, no embedded scripts or thumbnails), turned upright by
its EXIF orientation first, and written as JPEG in three sizes. Its name is the SHA-256 of the
largest size, so a file is never overwritten by a different photo and can be cached forever.
"""
from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from geoapp.messages import N_, UserError

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 60_000_000          # 60 megapixels: more is a decompression bomb, not a photo
FORMATS = ("JPEG", "PNG", "WEBP")
SIZES = {"small": 320, "medium": 960, "large": 2048}  # longest side in pixels


@dataclass(frozen=True)
class PreparedPhoto:
    digest: str                  # hex SHA-256 of the large JPEG
    files: dict[str, bytes]      # size name -> JPEG bytes
    width: int
    height: int


class PhotoError(UserError):
    status = 422


def prepare_photo(data: bytes) -> PreparedPhoto:
    """The photo in `data`, decoded, upright, stripped of metadata and resized; PhotoError says
    what is wrong (too large, not JPEG/PNG/WebP, not an image)."""
    from PIL import Image, ImageOps, UnidentifiedImageError
    if len(data) > MAX_PHOTO_BYTES:
        raise PhotoError(N_("the photo is %(size)s MB; at most %(most)s MB"), size=round(len(data) / 2**20, 1),
                         most=MAX_PHOTO_BYTES // 2**20, status=413)
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in FORMATS:
                raise PhotoError(N_("a photo is a JPEG, PNG or WebP image, not %(kind)s"), kind=image.format or "?")
            image.load()
            upright = ImageOps.exif_transpose(image)
            rgb = upright.convert("RGB")  # drops transparency, palettes and any metadata with them
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as err:
        if isinstance(err, PhotoError):
            raise
        raise PhotoError(N_("the file is not a photo Pillow can read: %(reason)s"), reason=str(err)[:80]) from None
    files = {}
    for name, longest in SIZES.items():
        copy = rgb.copy()
        copy.thumbnail((longest, longest))
        out = io.BytesIO()
        copy.save(out, format="JPEG", quality=85, optimize=True, progressive=True)  # no exif= given: none kept
        files[name] = out.getvalue()
    return PreparedPhoto(hashlib.sha256(files["large"]).hexdigest(), files, rgb.width, rgb.height)
