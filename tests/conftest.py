"""Shared test configuration: hypothesis profiles.

CI (``CI`` set) runs the full budget the issues ask for; locally a lighter profile keeps the loop
fast; ``make mutation`` runs the tests once per mutant with a smaller, derandomised budget (the same
examples for every mutant, so a score does not depend on luck). Select one explicitly with
``HYPOTHESIS_PROFILE=ci|dev|mutation``. Tests that need a fixed large number
of examples (the market invariants) read :data:`INVARIANT_EXAMPLES`.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile("dev", max_examples=50, deadline=None)
settings.register_profile(
    "mutation",
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
settings.load_profile(PROFILE)

INVARIANT_EXAMPLES = {"ci": 10_000, "mutation": 100}.get(PROFILE, 500)
"""Random operation sequences per market invariant (10,000 in CI, 500 locally)."""
