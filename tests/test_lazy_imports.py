"""The plot worker (python -m hecon.report.plot_worker) starts without importing scipy.stats:
hecon.design and hecon.distributions, which it reaches through hecon.plugin, import it only
when a distribution is used (importing it takes about half a second)."""

import subprocess
import sys

CODE = """
import sys
import hecon.report.analysis_plots
assert "scipy.stats" not in sys.modules, "imported at start-up"
from hecon import distributions as D
assert D.make("beta", alpha=2.0, beta=2.0).quantile(0.5) == 0.5
assert "scipy.stats" in sys.modules
"""


def test_plot_worker_modules_do_not_import_scipy_stats():
    done = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_process_pool_workers_load_the_model_without_scipy_stats():
    """A worker of the process pool imports the model's module to evaluate chunks; the model
    does not use scipy.stats to evaluate, so its modules do not import it at start-up."""
    code = ("import sys\nimport hecon.models.danger_shock.model, hecon.parallel\n"
            "assert 'scipy.stats' not in sys.modules, 'imported at start-up'\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
