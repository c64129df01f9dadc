"""Observer of seals: when a partition's manifest says sealed, the hashes of its segments then.

WHY read the manifest, not the writer's return value: a crash inside `seal_partition` can leave
the sealed manifest in place (readers see the partition sealed) although the call never returned,
and a planted bug can return success for a seal that never reached the disk. The observer records
a seal once, from the bytes: `sealed_immutable` later compares these hashes with the final ones.

WHY a seal can be recorded again: a seal whose directory fsync failed leaves the sealed manifest
visible but not durable, and a power loss can drop its rename: the unsealed manifest comes back,
the day is open again, gains records and is sealed anew. After each crash the observer looks at
the days it saw sealed; one whose manifest no longer says sealed is no longer standing, so its
next seal is recorded too, and `sealed_immutable` judges that one as well (found by
`fsync_errors` seed 306316, whose reseal went unjudged while the observer kept a day's first seal
only). Whether the crash was allowed to undo the seal is the checker's question, not the observer's.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable

from scenarios.ledger_oracle import BytesMemo
from scenarios.observers.files import FileView
from scenarios.observers.ledger_files import partition_names, segments
from scenarios.observers.manifest_json import manifest_document
from scenarios.observers.observations import Observations

MANIFEST_NAME = "_manifest.json"
LATE_SUFFIX = "-late"  # a late partition (signals for a day already sealed) is never sealed itself
ANSWERS_MAX = 4096  # partitions whose manifest's answer is remembered (a memo, bounded)


def manifest_says_sealed(files: FileView, root: str, partition: str) -> bool:
    data = files.read_bytes(f"{root}/{partition}/{MANIFEST_NAME}")
    try:
        return bool(data) and manifest_document(data).get("sealed") is True
    except ValueError:
        return False


# WHY: a sealed segment is hashed at its seal and again, unchanged, by the end of the run's
# `final_segment_hashes`; hashing is most of the end's cost on a long day. The digest is a function
# of the bytes alone, so the oracle's memo of values by bytes (compared whole: rot and rewrites are
# hashed again) serves both. Bounded in bytes held; dropping it costs time, never an answer.
DIGEST_BYTES_KEPT_MAX = 256 * 1024 * 1024
_SEGMENT_DIGESTS = BytesMemo(bytes_max=DIGEST_BYTES_KEPT_MAX)


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def segment_digest(path: str, data: bytes) -> str:
    """SHA-256 hex of `data`, the bytes of the segment at `path` (through a memo of the bytes)."""
    return _SEGMENT_DIGESTS.get(path, data, _sha256_hex)


def segment_hashes(files: FileView, root: str, partition: str) -> dict[str, str]:
    """Segment name -> SHA-256 hex of its bytes, in name order."""
    directory = f"{root}/{partition}"
    return {name: segment_digest(f"{directory}/{name}", data) for name, data in segments(files, root, partition).items()}


class SealObserver:
    def __init__(self, files: FileView, root: str, record: Callable[..., int], observations: Observations) -> None:
        self._files = files
        self._root = root
        self._record = record
        self._observations = observations
        # partition -> (version, size, answer) of its manifest when the view knows versions (see
        # FileView.version): same version and size mean the same bytes, so the same answer. WHY: the
        # open day's manifest lists every segment, and each pass read and parsed it to learn `sealed`.
        self._answers: dict[str, tuple[object, int, bool]] = {}
        # days whose last recorded seal the files still show: a seal of one of them is not news
        self._standing: set[str] = set()

    def says_sealed(self, partition: str) -> bool:
        files = self._files
        path = f"{self._root}/{partition}/{MANIFEST_NAME}"
        version = files.version(path)
        size_bytes = files.size_bytes(path) if version is not None else None
        known = self._answers.get(partition)
        if known is not None and size_bytes is not None and known[0] == version and known[1] == size_bytes:
            return known[2]
        answer = manifest_says_sealed(files, self._root, partition)
        if size_bytes is not None:
            if len(self._answers) >= ANSWERS_MAX:
                self._answers.clear()  # a memo: dropping it costs speed, never an answer
            self._answers[partition] = (version, size_bytes, answer)
        return answer

    def observe(self, partition: str) -> None:
        if partition in self._standing:
            return  # sealed, and still so: a later pass finding it sealed changes nothing
        hashes = segment_hashes(self._files, self._root, partition)
        index = self._record("omen", "ledger.sealed", partition=partition, segments=hashes)
        self._observations.record_seal(partition, index, hashes)
        self._standing.add(partition)
        assert self._observations.seals[partition][-1] == (index, hashes)

    def observe_visible(self) -> None:
        """Record seals that became visible without `seal_partition` returning (a crash inside it)."""
        for name in partition_names(self._files, self._root):
            if not name.endswith(LATE_SUFFIX) and name not in self._standing and self.says_sealed(name):
                self.observe(name)

    def after_crash(self) -> None:
        """A crash installed new files: a day seen sealed whose manifest no longer says so is open
        again (its seal's rename was dropped, or worse: the checker tells which), and its next seal
        is recorded. In name order, though only a set changes: nothing here reaches the trace."""
        for partition in sorted(self._standing):
            if not self.says_sealed(partition):
                self._standing.discard(partition)


__all__ = ["SealObserver", "manifest_says_sealed", "segment_digest", "segment_hashes"]
