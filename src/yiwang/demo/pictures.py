"""Small, real JPEG pictures for the demo's photos and alarm snapshots.

Each picture is a plain street scene (sky, buildings, road, kerb) with a coloured blob
where the problem is, drawn with Pillow from a seeded generator: the same seed gives the
same bytes, different seeds give pictures different enough that the photo stores and
the content-hash de-duplication see distinct files. They are a few kilobytes each, so
the demo's hundred photos cost well under a second.
"""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw

SKY = [(170, 200, 230), (190, 210, 225), (150, 180, 215), (205, 215, 220)]
WALLS = [(200, 190, 175), (170, 175, 180), (220, 215, 200), (150, 160, 170), (185, 160, 140)]
# What the problem looks like, roughly: rubbish, a stall, a parked car, a sign …
BLOBS = [(120, 95, 60), (60, 120, 60), (200, 60, 50), (230, 200, 60), (80, 80, 90)]


def street_jpeg(seed: int, *, size: tuple[int, int] = (320, 240), quality: int = 80) -> bytes:
    """A deterministic JPEG of `size` pixels for `seed`."""
    rng = random.Random(seed)
    width, height = size
    image = Image.new("RGB", size, rng.choice(SKY))
    draw = ImageDraw.Draw(image)
    horizon = int(height * rng.uniform(0.45, 0.6))
    x = 0
    while x < width:
        w = rng.randint(width // 10, width // 4)
        top = rng.randint(height // 8, horizon - 10)
        draw.rectangle((x, top, x + w, horizon), fill=rng.choice(WALLS))
        for wy in range(top + 6, horizon - 8, 14):  # windows
            for wx in range(x + 5, x + w - 8, 12):
                draw.rectangle((wx, wy, wx + 5, wy + 7), fill=(90, 110, 130))
        x += w + rng.randint(0, 6)
    draw.rectangle((0, horizon, width, height), fill=(105, 105, 110))  # road
    draw.rectangle((0, horizon, width, horizon + 6), fill=(185, 185, 180))  # kerb
    for lx in range(rng.randint(0, 30), width, 60):  # lane marks
        draw.rectangle(
            (lx, (horizon + height) // 2, lx + 30, (horizon + height) // 2 + 3), fill="white"
        )
    colour = rng.choice(BLOBS)
    for _ in range(rng.randint(3, 7)):
        cx = rng.randint(width // 5, 4 * width // 5)
        cy = rng.randint(horizon + 4, height - 10)
        r = rng.randint(8, 26)
        shade = tuple(min(255, max(0, c + rng.randint(-25, 25))) for c in colour)
        draw.ellipse((cx - r, cy - r // 2, cx + r, cy + r // 2), fill=shade)  # type: ignore[arg-type]
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality, optimize=False)
    return out.getvalue()
