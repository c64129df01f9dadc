"""Hypothesis settings profiles for the whole test suite, chosen by the HYPOTHESIS_PROFILE env var.

- `ci` (the default, used by .ci/run): derandomized, so two runs of the suite draw the same
  examples and a red build is red again on a re-run; no deadline (a shared CI box stalls); a
  bounded number of examples; no example database (nothing carried between runs); and
  `print_blob`, so a failure prints the blob that reproduces it with `@reproduce_failure`; and no
  explain phase. That phase reruns a failing example under a line tracer to annotate which parts of
  it varied; it made every test that must find and shrink a planted bug about 4x slower (the ledger
  machine's torn-tail test: 56 s -> 15 s) and those tests never read its notes. A red CI build's
  blob replays locally under `dev`, which explains.
- `nightly`: many random examples, for long runs that look for what `ci` never draws.
- `dev`: Hypothesis' own defaults, random, with the local example database.

A test's own `@settings(max_examples=...)` still wins over the profile for that setting.
"""
from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, Verbosity, settings

PROFILE_ENV_VAR = "HYPOTHESIS_PROFILE"
PROFILE_DEFAULT = "ci"

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    max_examples=50,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[phase for phase in Phase if phase is not Phase.explain],
)
settings.register_profile(
    "nightly",
    derandomize=False,
    deadline=None,
    max_examples=2000,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
    verbosity=Verbosity.normal,
)
settings.register_profile("dev", deadline=None, print_blob=True)

_profile = os.environ.get(PROFILE_ENV_VAR, PROFILE_DEFAULT)
if _profile not in ("ci", "nightly", "dev"):
    raise ValueError(f"{PROFILE_ENV_VAR}={_profile!r} is not a profile; use one of: ci, nightly, dev")
settings.load_profile(_profile)

# pytester: the omen-sim pytest plugin is tested by running pytest on small test files
pytest_plugins = ["pytester"]
