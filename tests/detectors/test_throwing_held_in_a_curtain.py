"""An object held out merged with a curtain, then dropped: its fall is judged on its own."""

from __future__ import annotations

from ingest.registry import Facade
from tests.detectors.test_throwing_bird import _alarms, recorded

# Recorded at night with curtains and IR noise (dev set 36002, scene-025), the blobs of frames
# 110-180 within 40 px of the path of a 0.21 m heavy object let go from floor 4 at frame 134. Held
# out, its blob merged with the curtain of its window (13 x 33 px, too big to start a throw): that
# track never became eligible. The clean fall that followed (from frame 141) was linked to it, and
# a link to an ineligible head (a bird or a leaf from beyond the facade) used to silence the fall.
FACADE = Facade(
    corners_px=[[472.5, 72.6], [954.4, 59.7], [1080.8, 650.4], [414.9, 652.6]], floors=10, lowest_floor=1, columns=7
)


def test_a_fall_linked_to_a_blob_too_big_only_for_the_curtain_it_left_is_a_throw() -> None:
    alarms = _alarms(FACADE, recorded("held_in_a_curtain"))
    assert [(floor, column) for _, floor, column in alarms] == [(4, 1)]
    assert alarms[0][0] <= 150  # (released at frame 134: early, from the fall alone)
