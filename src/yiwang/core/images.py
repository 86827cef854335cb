"""Uploaded images: proved to be images by decoding them, stored re-encoded without metadata.

A photo taken on a phone carries EXIF (the camera, the time, often the GPS position of the
person who took it) and XMP. `clean_image` decodes the upload with Pillow, refuses what is
not a whole JPEG / PNG / WebP image of a sane size, applies the EXIF orientation to the
pixels and encodes them afresh with no EXIF, GPS or XMP block (the ICC colour profile is
kept: it says how to show the colours, nothing about the person). Whatever else a file
carried — markup hidden in a comment or appended after the image, a second file format —
is refused or does not survive the re-encoding.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError

# Pixels decoded at most: about 50 megapixels (a phone's largest photos), 200 MB of RAM.
MAX_PIXELS = 50_000_000
# Markup a browser might run if the file were ever served as HTML or SVG: refused outright.
MARKUP = re.compile(
    rb"<(?:script|html|svg|iframe|object|embed|body|\?php|!doctype)[\s>/]", re.IGNORECASE
)
# Sniffed type → (the Pillow formats that may decode it, the stored type and extension).
FORMATS: dict[str, tuple[tuple[str, ...], str]] = {
    "image/jpeg": (("JPEG", "MPO"), "jpg"),
    "image/png": (("PNG",), "png"),
    "image/webp": (("WEBP",), "webp"),
}
JPEG_QUALITY = 90
WEBP_QUALITY = 90


class ImageRefused(Exception):
    """Not an acceptable image: `code` is stable, `message` is for the user (Chinese)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class CleanImage:
    content: bytes
    content_type: str
    extension: str
    width: int
    height: int


def sniff_image_type(content: bytes) -> str | None:
    """The image type the bytes really are (JPEG, PNG, WebP), whatever the client claimed."""
    if content[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if content[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    return None


def clean_image(content: bytes, *, max_pixels: int = MAX_PIXELS) -> CleanImage:
    """The image re-encoded without metadata, or ImageRefused saying why not."""
    content_type = sniff_image_type(content)
    if content_type is None:
        raise ImageRefused("bad_file_type", "只能上传 JPEG、PNG 或 WebP 格式的图片。")
    if MARKUP.search(content):
        raise ImageRefused(
            "bad_image_content", "文件中夹带了网页或脚本内容，不是单纯的图片，已拒绝。"
        )
    formats, extension = FORMATS[content_type]
    too_large = ImageRefused(
        "image_too_large",
        f"图片像素过多（超过 {max_pixels // 10_000} 万像素），请缩小后再上传。",
    )
    try:
        with warnings.catch_warnings():
            # Pillow's own guard against decompression bombs warns first: refuse at once.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content), formats=list(formats)) as image:
                if image.format not in formats:
                    raise ImageRefused("bad_file_type", "图片格式与内容不符。")
                width, height = image.size
                # Read from the header: nothing is decoded yet.
                if width * height > max_pixels or width < 1 or height < 1:
                    raise too_large
                image.load()  # a truncated or corrupt file fails here
                icc = image.info.get("icc_profile")
                transparency = image.info.get("transparency")
                upright = ImageOps.exif_transpose(image)
                data = _encode(upright, content_type, icc, transparency)
                width, height = upright.size
    except ImageRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_large from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageRefused("bad_image", "图片文件已损坏或不完整，无法读取。") from exc
    return CleanImage(data, content_type, extension, width, height)


def _encode(image: Image.Image, content_type: str, icc: Any, transparency: Any) -> bytes:
    # A copy with an empty info: no encoder can fall back to the upload's EXIF or XMP.
    clean = image.copy()
    clean.info = {}
    params: dict[str, Any] = {}
    if icc:
        params["icc_profile"] = icc
    out = io.BytesIO()
    if content_type == "image/jpeg":
        if clean.mode not in ("L", "RGB", "CMYK"):
            clean = clean.convert("RGB")
        clean.save(out, "JPEG", quality=JPEG_QUALITY, **params)
    elif content_type == "image/png":
        if clean.mode not in ("1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA"):
            clean = clean.convert("RGBA")
        if transparency is not None and clean.mode in ("P", "L", "RGB"):
            params["transparency"] = transparency
        clean.save(out, "PNG", **params)
    else:
        if clean.mode not in ("RGB", "RGBA"):
            clean = clean.convert("RGBA" if "A" in clean.mode else "RGB")
        clean.save(out, "WEBP", quality=WEBP_QUALITY, **params)
    return out.getvalue()
