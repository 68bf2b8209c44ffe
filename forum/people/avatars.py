"""Generated avatars: the initials of a name on a colour derived from the @handle, as SVG.

No upload and no outside service. The colour comes from a fixed palette whose every entry
holds white text at a contrast of at least 4.5:1 (WCAG AA); tests/test_avatars.py checks it.
The SVG holds no script, no link and no style: a rectangle and escaped text.
"""

from __future__ import annotations

import hashlib

from markupsafe import escape

# Dark enough for white text (contrast >= 4.5:1), distinct enough to tell people apart.
PALETTE = (
    "#1f5f8b",
    "#8b1f4f",
    "#2e6b30",
    "#7a4b00",
    "#5b3e8f",
    "#00636e",
    "#a12d2d",
    "#4a5a1a",
    "#6b3a6b",
    "#1d4e89",
    "#8a3b12",
    "#3d5566",
)
TEXT_COLOUR = "#ffffff"


def colour_for(handle: str) -> str:
    """The background colour of a handle's avatar: the same handle, the same colour."""
    digest = hashlib.sha256(handle.lower().encode()).digest()
    return PALETTE[int.from_bytes(digest[:4], "big") % len(PALETTE)]


def initials(display_name: str, handle: str) -> str:
    """One or two letters: the first of the name's first two words, else of the handle."""
    words = [w for w in display_name.split() if w[:1].isalnum()]
    letters = "".join(w[0] for w in words[:2]) or handle[:1] or "?"
    return letters.upper()


def avatar_svg(display_name: str, handle: str) -> str:
    """The avatar as an SVG document (decorative: the name is always shown beside it)."""
    text = escape(initials(display_name, handle))
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64"'
        ' aria-hidden="true">'
        f'<rect width="64" height="64" rx="32" fill="{colour_for(handle)}"/>'
        '<text x="32" y="32" dy="0.35em" text-anchor="middle" font-family="sans-serif"'
        f' font-size="26" font-weight="bold" fill="{TEXT_COLOUR}">{text}</text>'
        "</svg>"
    )


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two colours (#rrggbb)."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)
