"""Uploaded images, bounded before they are decoded (speaker photos, signature images).

``open_image`` reads only the header: the byte size, the format and the pixel dimensions are
checked BEFORE any pixel is decoded, against ``MAX_IMAGE_PIXELS`` (far below Pillow's own
decompression-bomb limit of ~89 megapixels). A 12-megapixel image takes at most ~48 MB once
decoded (RGBA), so one upload stays well under 100 MB; JPEGs are decoded at a reduced scale
when they are only needed small (``draft``). See docs/interchange.md ("Limits").
"""

from __future__ import annotations

import io
import warnings

from flask_babel import gettext as _
from PIL import Image, UnidentifiedImageError

MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_IMAGE_PIXELS = 12_000_000  # e.g. 4000 x 3000
FORMATS = ("JPEG", "PNG")


class UploadError(ValueError):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def open_image(
    raw: bytes,
    *,
    max_bytes: int = MAX_IMAGE_BYTES,
    max_pixels: int = MAX_IMAGE_PIXELS,
    formats: tuple[str, ...] = FORMATS,
    draft_size: tuple[int, int] | None = None,
) -> Image.Image:
    """The image in ``raw``, opened and checked but NOT decoded yet (call ``.load()``).

    Raises UploadError (translated) for an empty, too large, unreadable or unknown file, and
    for pixel dimensions over ``max_pixels``.
    """
    if not raw:
        raise UploadError(_("Choose an image to upload."))
    if len(raw) > max_bytes:
        raise UploadError(
            _("The image is larger than %(num)d MB.", num=max(1, max_bytes // (1024 * 1024)))
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(raw))
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UploadError(_("The file must be a JPEG or PNG image."))
    except (OSError, SyntaxError, ValueError):
        raise UploadError(_("The image could not be read. Please try another file."))
    if image.format not in formats:
        image.close()
        raise UploadError(_("The file must be a JPEG or PNG image."))
    width, height = image.size
    if width <= 0 or height <= 0 or width * height > max_pixels:
        image.close()
        raise UploadError(
            _(
                "The image is too large: at most %(num)d megapixels (it has %(width)d × %(height)d pixels).",
                num=max_pixels // 1_000_000,
                width=width,
                height=height,
            )
        )
    if draft_size and image.format == "JPEG":
        image.draft("RGB", draft_size)  # decode at 1/2, 1/4 or 1/8 scale: less memory
    return image


def decode(image: Image.Image) -> Image.Image:
    """``image.load()`` with Pillow's reading errors turned into an UploadError."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UploadError(_("The file must be a JPEG or PNG image."))
    except (OSError, SyntaxError, ValueError):
        raise UploadError(_("The image could not be read. Please try another file."))
    return image
