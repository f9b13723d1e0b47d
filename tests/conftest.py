"""Hypothesis settings for the whole suite.

Timing deadlines are off: these machines are noisy, and speed is measured by the benchmarks, not
by tests. Under CI (CI=true) the examples are derandomized, so a run is reproducible and a
failure seen there can be replayed exactly; locally every run explores new examples.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "ci", deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True, database=None, print_blob=True
)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

# The catalog cache (ratecard/catalog/cache.py) of test runs goes to a folder of their own, never
# the user's ~/.cache; subprocesses started by tests inherit it.
if not os.environ.get("RATECARD_CACHE_DIR"):
    import tempfile

    os.environ["RATECARD_CACHE_DIR"] = tempfile.mkdtemp(prefix="ratecard-test-cache-")
