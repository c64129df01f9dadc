"""A write cut at a sector boundary is reported as torn, with the part that never landed."""
from __future__ import annotations

import os
import random

from sim.disk import SimDisk, TornRegion

W = os.O_WRONLY | os.O_CREAT


def _disk_with_pending_write(size_bytes: int) -> SimDisk:
    disk = SimDisk(random.Random(0))
    fd = disk.open("/f", W)
    fd_root = disk.open("/", os.O_RDONLY)
    disk.fsync(fd_root)
    disk.close(fd_root)
    disk.write(fd, b"x" * size_bytes)
    return disk


def test_a_write_cut_at_a_sector_boundary_reports_its_missing_tail_as_an_absent_torn_region():
    disk = _disk_with_pending_write(2212)
    states = [s for s in disk.crash_states() if s.file_map().get("/f") == b"x" * 512]
    assert len(states) == 1
    (state,) = states
    assert state.data_ops == (("/f", 1, 0),)
    assert state.torn == (TornRegion("/f", 512, 2212, "absent"),)


def test_every_state_that_keeps_part_of_a_write_names_torn_regions_from_a_sector_cut_to_its_end():
    disk = _disk_with_pending_write(2212)
    partial = 0
    for state in disk.crash_states():
        data = state.file_map().get("/f")
        if data is None or data in (b"", b"x" * 2212):
            continue
        partial += 1
        regions = sorted((t.start, t.end) for t in state.torn)
        assert regions, f"a state keeping {data.count(b'x')} of 2212 written bytes reports no torn region"
        assert regions[0][0] % 512 == 0 and regions[0][0] == data.count(b"x"), regions
        assert regions[-1][1] == 2212, regions
    assert partial > 0


def test_the_seeded_crash_trace_names_the_torn_region_of_a_sector_cut():
    for seed in range(200):
        disk = _disk_with_pending_write(2212)
        disk.rng = random.Random(seed)
        report = disk.crash()
        data = disk.visible_files().get("/f")
        if data is not None and 0 < len(data) < 2212:
            fills = {t.fill for t in report.torn}
            assert fills & {"absent", "zeros", "garbage"}, (seed, len(data), report.torn)
