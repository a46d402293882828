"""What makes a fetched camera frame worth keeping, and where a kept one lives.

A camera portal answers 200 for many things that are not a picture: an empty
body while the camera reboots, an HTML error page at the image URL, a JPEG cut
off mid-write. Each is refused here with a reason that ends up in the run's
artifact and in `camera_rejects`, so the frame is not fetched again.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import PurePosixPath

from PIL import Image, UnidentifiedImageError

# Pillow format -> file extension of the kept file.
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif", "BMP": "bmp"}


class ImageRejected(Exception):
    """A frame that arrived whole but is not a usable image; fetching again cannot help."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class CheckedImage:
    """A frame that decoded completely."""

    data: bytes
    sha256: str
    width: int
    height: int
    ext: str


def check_image(data: bytes, content_type: str | None = None) -> CheckedImage:
    """Refuse empty bodies, non-images and frames that do not decode to the end.

    The decode runs in JPEG draft mode (a scaled-down IDCT): it still reads every
    byte of the scan, so a truncated file is caught, at about half the cost.
    """
    if not data:
        raise ImageRejected("empty", "the portal sent 0 bytes")
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type and not media_type.startswith("image/"):
        raise ImageRejected("not_an_image", f"served as {media_type}, {len(data)} bytes")
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            kind = image.format or ""
            if kind == "JPEG":
                image.draft("RGB", (max(1, width // 8), max(1, height // 8)))
            image.load()
    except UnidentifiedImageError:
        raise ImageRejected("not_an_image", f"{len(data)} bytes in no image format") from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ImageRejected("corrupt", f"{kind or 'image'} does not decode: {exc}") from None
    if kind not in EXTENSIONS:
        raise ImageRejected("not_an_image", f"unsupported format {kind!r}")
    return CheckedImage(
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        width=width,
        height=height,
        ext=EXTENSIONS[kind],
    )


def image_stem(stream: str, captured_at: datetime) -> PurePosixPath:
    """`images/<stream>/YYYY/MM/DD/<YYYYMMDDTHHMMSSZ>`, in UTC so DST never collides."""
    at = captured_at.astimezone(UTC)
    return PurePosixPath("images", stream, f"{at:%Y/%m/%d}", f"{at:%Y%m%dT%H%M%SZ}")


def image_path(stream: str, captured_at: datetime, ext: str) -> str:
    """The kept file's path relative to the data directory (what the index stores)."""
    return f"{image_stem(stream, captured_at)}.{ext}"
