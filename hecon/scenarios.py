"""Named scenarios: YAML files that override model settings and parameter values.

A scenario file (``scenarios/<name>.yaml``)::

    description: Device price 30% below the base case
    settings:            # model settings (keys of the model's configuration)
      country: dk
    parameters:          # parameter overrides
      c_device: {multiply: 0.7}      # scales every sample (base case and PSA draws)
      u_post_shock: {value: 0.77}    # fixes the parameter at a value

Unknown keys, settings and parameter names are errors with a "did you mean" suggestion; nothing
is ignored silently.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from hecon.errors import InputError

TOP_KEYS = ("description", "settings", "parameters")
OPS = ("value", "multiply", "add")


def did_you_mean(name: str, options: Iterable[str]) -> str:
    """A ' (did you mean 'x'?)' suffix for the closest option, or ''."""
    near = difflib.get_close_matches(name, list(options), n=1, cutoff=0.6)
    return f" (did you mean {near[0]!r}?)" if near else ""


@dataclass(frozen=True)
class Override:
    """One parameter override: set to ``value``, or ``multiply`` / ``add`` every sample."""

    op: str
    amount: float

    def apply(self, x: np.ndarray) -> np.ndarray:
        """Apply to an array of samples."""
        if self.op == "value":
            return np.full_like(np.asarray(x, dtype=float), self.amount)
        if self.op == "multiply":
            return np.asarray(x, dtype=float) * self.amount
        return np.asarray(x, dtype=float) + self.amount

    def describe(self) -> str:
        """e.g. 'x 0.7' or '= 0.77'."""
        return {"value": "= ", "multiply": "x ", "add": "+ "}[self.op] + f"{self.amount:g}"


@dataclass(frozen=True)
class Scenario:
    """A named set of setting and parameter overrides."""

    name: str
    description: str
    settings: Mapping[str, Any] = field(default_factory=dict)
    parameters: Mapping[str, Override] = field(default_factory=dict)
    file: str | None = None

    def apply(self, params: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Parameter samples with this scenario's overrides applied (a new mapping)."""
        out = dict(params)
        for name, ov in self.parameters.items():
            if name not in out:
                raise InputError(
                    f"scenario overrides unknown parameter{did_you_mean(name, out)}",
                    file=self.file, parameter=name,
                )
            out[name] = ov.apply(out[name])
        return out


def _parse_override(raw: Any, file: str, name: str) -> Override:
    if isinstance(raw, bool) or not isinstance(raw, (int, float, Mapping)):
        raise InputError(
            "override must be a number or a mapping like {multiply: 0.7}", file=file, parameter=name
        )
    if not isinstance(raw, Mapping):
        raw = {"value": raw}
    if len(raw) != 1:
        raise InputError(f"override needs exactly one of {OPS}", file=file, parameter=name)
    (op, amount), = raw.items()
    if op not in OPS:
        raise InputError(
            f"unknown override {op!r}{did_you_mean(str(op), OPS)}; use one of {OPS}",
            file=file, parameter=name,
        )
    if isinstance(amount, bool) or not isinstance(amount, (int, float)) or not np.isfinite(amount):
        raise InputError(f"override {op} needs a finite number, got {amount!r}", file=file,
                         parameter=name)
    return Override(op, float(amount))


def load_scenario(
    path: str | Path,
    valid_settings: Iterable[str],
    valid_parameters: Iterable[str] | None = None,
) -> Scenario:
    """Read and validate one scenario file."""
    path = Path(path)
    file = str(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("scenario file not found", file=file) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read scenario file: {exc}", file=file) from None
    except yaml.YAMLError as exc:
        raise InputError(f"malformed YAML: {exc}".splitlines()[0], file=file) from None
    if not isinstance(data, Mapping):
        raise InputError("a scenario file must be a mapping with a description", file=file)
    for key in data:
        if key not in TOP_KEYS:
            raise InputError(f"unknown key {key!r}{did_you_mean(str(key), TOP_KEYS)}", file=file)
    desc = data.get("description")
    if not isinstance(desc, str) or not desc.strip():
        raise InputError("a scenario needs a one-line description", file=file)
    settings = data.get("settings") or {}
    if not isinstance(settings, Mapping):
        raise InputError("'settings' must be a mapping", file=file)
    valid = list(valid_settings)
    for key in settings:
        if key not in valid:
            raise InputError(
                f"unknown setting {key!r}{did_you_mean(str(key), valid)}", file=file
            )
    params_raw = data.get("parameters") or {}
    if not isinstance(params_raw, Mapping):
        raise InputError("'parameters' must be a mapping", file=file)
    names = None if valid_parameters is None else list(valid_parameters)
    overrides = {}
    for name, raw in params_raw.items():
        if names is not None and name not in names:
            raise InputError(
                f"unknown parameter{did_you_mean(str(name), names)}", file=file, parameter=name
            )
        overrides[str(name)] = _parse_override(raw, file, str(name))
    return Scenario(path.stem, desc.strip().splitlines()[0], dict(settings), overrides, file)


def load_scenarios(
    folder: str | Path,
    valid_settings: Iterable[str],
    valid_parameters: Iterable[str] | None = None,
) -> dict[str, Scenario]:
    """All ``*.yaml`` scenarios in a folder, by name (sorted)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("scenario folder not found", file=str(folder))
    valid = list(valid_settings)
    names = None if valid_parameters is None else list(valid_parameters)
    return {
        p.stem: load_scenario(p, valid, names)
        for p in sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml"))
    }
