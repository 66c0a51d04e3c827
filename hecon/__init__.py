"""hecon: health-economic evaluation toolkit.

Parameters -> design (matrix of samples) -> vectorised model evaluation -> decision analysis.
"""

from hecon.errors import HeconError, InputError, ModelError

__version__ = "0.1.0"

__all__ = ["HeconError", "InputError", "ModelError", "__version__"]
