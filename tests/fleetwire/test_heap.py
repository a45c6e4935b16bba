from __future__ import annotations

import gc

from fleetwire.heap import YOUNG_THRESHOLD, settle_after_start


def test_start_up_objects_leave_the_collectors_sight() -> None:
    threshold = gc.get_threshold()
    try:
        settle_after_start()
        assert gc.get_freeze_count() > 1000  # the modules and objects made so far
        assert gc.get_threshold() == (YOUNG_THRESHOLD, threshold[1], threshold[2])
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
