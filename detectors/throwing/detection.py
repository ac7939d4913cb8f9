"""The value a throwing detector emits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ThrowingDetection:
    """One thrown object: when the alarm rose, when and from which window it was released."""

    camera: str
    frame: int  # 0-based frame at which the alarm was raised
    start_frame: int  # estimated frame of release
    floor: int
    column: int  # 1 = leftmost window column in the image
    confidence: float
    track: tuple[tuple[int, float, float], ...]  # (frame, x_px, y_px) up to the alarm
    track_id: int
    kind: str  # "heavy" (near free fall) or "light" (bag, paper)
    release_px: tuple[float, float]  # image point of the release, for evidence drawing

    def to_json(self) -> dict[str, Any]:
        """The record `zhian throwing --json` prints (PRODUCT.md fixes its keys)."""
        return {
            "camera": self.camera,
            "frame": self.frame,
            "start_frame": self.start_frame,
            "floor": self.floor,
            "column": self.column,
            "confidence": self.confidence,
            "track": [[f, round(x, 1), round(y, 1)] for f, x, y in self.track],
        }
