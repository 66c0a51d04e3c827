"""Named scenarios: YAML files that override model settings and parameter values.

A scenario file (``scenarios/<name>.yaml``)::

    description: Device price 30% below the base case
    settings:            # model settings (keys of the model's configuration)
      country: dk
    parameters:          # parameter overrides
      c_device: {multiply: 0.7}      # scales every sample (base case and PSA draws)
      u_post_shock: {value: 0.77}    # fixes the parameter at a value

Unknown keys, settings and parameter names are errors with a "did you mean" suggestion; a key
given twice is an error (YAML would silently keep the last); nothing is ignored silently.
"""

from __future__ import annotations

import copy
import difflib
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from hecon.errors import InputError

TOP_KEYS = ("description", "settings", "parameters")
OPS = ("value", "multiply", "add")
MAX_YAML_BYTES = 2**20


class _DuplicateKey(yaml.YAMLError):
    def __init__(self, key: Any, line: int) -> None:
        super().__init__(f"key {key!r} appears twice")
        self.key, self.line = key, line


class _AliasRefused(yaml.YAMLError):
    def __init__(self, line: int) -> None:
        super().__init__("alias")
        self.line = line


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a mapping key given twice and every alias (``*name``): an
    input never needs one, and nested aliases expand a few hundred bytes into gigabytes."""

    def compose_node(self, parent: Any, index: Any) -> Any:  # noqa: D102
        if self.check_event(yaml.events.AliasEvent):
            raise _AliasRefused(self.peek_event().start_mark.line + 1)
        return super().compose_node(parent, index)


def _mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            if key in seen:
                raise _DuplicateKey(key, key_node.start_mark.line + 1)
            seen.add(key)
        except TypeError:  # unhashable key: the base constructor explains
            pass
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


#: parsed YAML by file text: the same file is read many times in a run (every scenario builds
#: its model from the country sets file), and parsing, not reading, is what costs
_PARSED: dict[str, Any] = {}


def load_yaml(path: str | Path, what: str = "YAML file") -> Any:
    """Read a YAML file safely (no object construction, duplicate keys and aliases refused,
    at most 1 MiB); every problem is an :class:`InputError` naming the file (and line)."""
    path = Path(path)
    file = str(path)
    try:
        if path.stat().st_size > MAX_YAML_BYTES:
            raise InputError(f"{what} larger than 1 MiB", file=file)
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{what} not found", file=file) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"cannot read {what}: not UTF-8 text (byte {exc.start})",
                         file=file) from None
    except OSError as exc:
        raise InputError(f"cannot read {what} ({exc.strerror or type(exc).__name__})",
                         file=file) from None
    cached = _PARSED.get(text)
    if cached is not None:
        return copy.deepcopy(cached)
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506  (a SafeLoader subclass)
        if len(_PARSED) < 512:
            _PARSED[text] = copy.deepcopy(data)
        return data
    except _AliasRefused as exc:
        raise InputError(f"line {exc.line}: a YAML alias (*name) is not accepted; write the "
                         "value out", file=file) from None
    except _DuplicateKey as exc:
        raise InputError(f"line {exc.line}: key {exc.key!r} appears twice (YAML would "
                         "silently keep the last)", file=file) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise InputError(f"malformed YAML{where}: {problem}", file=file) from None
    except RecursionError:
        raise InputError("malformed YAML: nested too deeply", file=file) from None


def is_scenario_path(name: str) -> bool:
    """True when ``--scenario`` names a file rather than a named scenario: it has a suffix
    (``my.yaml``) or a path separator (``./horizon_5y``). A bare name always means the model's
    ``scenarios/`` folder, even when a file or folder of that name sits in the working
    directory (it would otherwise shadow the scenario)."""
    seps = {"/", "\\", os.sep, os.altsep} - {None}
    return Path(name).suffix != "" or any(sep in name for sep in seps)


def local_hint(name: str) -> str:
    """For an unknown bare scenario name: a hint when a file or folder of that name sits in
    the working directory (give it as a path, ./name, to use it), else ''."""
    return (f"; to use the file {name!r} here, give it as a path (./{name})"
            if os.path.lexists(name) else "")


def check_setting_types(settings: Mapping[str, Any], defaults: Mapping[str, Any],
                        file: str | None = None) -> None:
    """A scenario's settings must have the type of the model's defaults: a number for a
    number (``yes``/``no`` are booleans, not numbers; finite only), text for text, a
    boolean for a boolean. Settings whose default is empty (None) or a list are not checked
    here (the model checks them). Raises InputError naming the file and the setting."""
    for key, value in settings.items():
        if key not in defaults:
            continue
        base = defaults[key]
        if base is None or isinstance(base, (list, tuple, dict)):
            continue
        if isinstance(base, bool):
            ok, want = isinstance(value, bool), "true or false"
        elif isinstance(base, (int, float)):
            ok = (isinstance(value, (int, float)) and not isinstance(value, bool)
                  and math.isfinite(value))
            want = "a finite number"
        elif isinstance(base, str):
            ok, want = isinstance(value, str), "text"
        else:
            continue
        if not ok:
            raise InputError(f"setting {key!r} is {value!r}; it must be {want} (like its "
                             f"default {base!r})", file=file)


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
    data = load_yaml(path, "scenario file")
    if not isinstance(data, Mapping):
        raise InputError("a scenario file must be a mapping with a description", file=file)
    for key in data:
        if not isinstance(key, str) or key not in TOP_KEYS:
            raise InputError(f"unknown key {key!r}{did_you_mean(str(key), TOP_KEYS)}", file=file)
    desc = data.get("description")
    if not isinstance(desc, str) or not desc.strip():
        raise InputError("a scenario needs a one-line description", file=file)
    settings = data.get("settings") or {}
    if not isinstance(settings, Mapping):
        raise InputError("'settings' must be a mapping", file=file)
    valid = list(valid_settings)
    for key in settings:
        if not isinstance(key, str) or key not in valid:
            raise InputError(
                f"unknown setting {key!r}{did_you_mean(str(key), valid)}", file=file
            )
    params_raw = data.get("parameters") or {}
    if not isinstance(params_raw, Mapping):
        raise InputError("'parameters' must be a mapping", file=file)
    names = None if valid_parameters is None else list(valid_parameters)
    overrides = {}
    for name, raw in params_raw.items():
        if not isinstance(name, str):
            raise InputError(f"parameter name {name!r} is not text", file=file)
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
