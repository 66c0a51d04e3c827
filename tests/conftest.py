"""Test-suite settings shared by every test module.

Hypothesis profiles: ``ci`` (chosen when the environment variable ``CI`` is set, as it is in
``.ci/run``) is derandomised, so a CI run draws the same examples every time and a red build
can be reproduced locally with ``CI=1 pytest ...``; it keeps no example database. ``dev``
(the default elsewhere) draws fresh examples on each run and remembers failing ones.
``HYPOTHESIS_PROFILE=ci`` or ``=dev`` chooses explicitly.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, deadline=None,
                          print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE")
                      or ("ci" if os.environ.get("CI") else "dev"))
