"""The docs' pictures (``docs/img/``, most taken by ``make screenshots``): each one shown on a page, each
page's picture there, and each small enough for a repository and a page."""

from __future__ import annotations

import re
import struct
from pathlib import Path

import pytest

DOCS = Path(__file__).parents[2] / "docs"
IMAGES = sorted((DOCS / "img").glob("*.png"))
MAX_BYTES = 150 * 1024
MAX_WIDTH = 1280
#: What ``scripts/screenshots.py`` takes (the others in docs/img/ come from elsewhere).
SCREENSHOTS = {"connection-form.png", "connection-extras.png", "extra-link.png", "sync-log.png"}


def shown() -> dict[Path, list[Path]]:
    """Each picture a page shows -> the pages showing it."""
    pages: dict[Path, list[Path]] = {}
    for page in DOCS.rglob("*.md"):
        for target in re.findall(r"!\[[^\]]*\]\(([^)\s]+\.png)\)", page.read_text()):
            pages.setdefault((page.parent / target).resolve(), []).append(page)
    return pages


def test_every_screenshot_is_there_and_every_picture_is_shown() -> None:
    names = {image.name for image in IMAGES}
    assert names >= SCREENSHOTS
    pictures = shown()
    assert not [path for path in pictures if not path.is_file()], "a page shows a picture that is not there"
    assert not [image for image in IMAGES if image.resolve() not in pictures], "a picture no page shows"


@pytest.mark.parametrize("image", IMAGES, ids=lambda image: image.name)
def test_each_picture_is_a_small_png(image: Path) -> None:
    data = image.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, _height = struct.unpack(">II", data[16:24])
    assert width <= MAX_WIDTH
    assert len(data) <= MAX_BYTES
