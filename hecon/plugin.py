"""The model plug-in contract: what a model provides so that ``hecon run --model NAME_OR_PATH``
runs it through the same analyses, run folder and workbook as the flagship.

A model is a Python module or package holding one plug-in object: an instance of a subclass
of :class:`ModelPlugin` (or any object with the same members). It provides

* its **sets** (:meth:`ModelPlugin.sets`): one :class:`SetInfo` per set of inputs evaluated
  side by side (the flagship's country sets ``dk`` and ``uk``; a simple model has one set),
  each with a label, currency and willingness-to-pay thresholds;
* its **parameter table** per set (:meth:`ModelPlugin.parameter_table`), replaced by the
  user's table with ``--inputs``;
* its **strategies**, built from a configuration (settings a scenario may change) and the
  parameter samples (:meth:`ModelPlugin.strategies`), the counting and discounting
  (:meth:`ModelPlugin.settings`), and which strategy is the intervention and which the
  comparator;
* optionally a **scenarios folder** of YAML files (:meth:`ModelPlugin.scenarios_dir`);
* the **report texts** (:meth:`ModelPlugin.report_texts`): title, question, strategy labels
  and short keys, currency and thresholds (in :class:`SetInfo`), parameter labels;
* **hooks** for model-specific extras: :meth:`ModelPlugin.summary_extras` (merged into each
  set's summary), :meth:`ModelPlugin.extra_files` (more files for the run folder),
  :meth:`ModelPlugin.population` (population for value of information),
  :meth:`ModelPlugin.parameter_groups` (EVPPI groups) and ``price_parameter`` (a one-off
  price paid at time 0 in the intervention arm only, for threshold prices).

A model whose run needs more than this (the flagship) may also define ``run`` and
``run_scenarios`` with the signatures of :func:`hecon.runner.run_model` and
:func:`hecon.runner.run_scenarios`; the command line then calls those instead.

The ``processes`` and ``dask`` backends send the configured model to worker processes by
pickling; that needs a plug-in importable by module name (a registered name or an installed
package), not one loaded from a file path.

Discovery (:func:`load_plugin`): a registered name (``danger_shock``, the default; third-party
packages register theirs in the Python entry-point group ``hecon.models``), or the path of a
``.py`` file or package folder that defines the module-level object ``HECON_MODEL``.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import io
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hecon.design import Design
from hecon.engine import Results, Settings, evaluate
from hecon.errors import InputError
from hecon.parameters import ParameterTable
from hecon.scenarios import Scenario, check_setting_types, did_you_mean
from hecon.texts import default_texts, resolve_texts, strategy_key  # noqa: F401 (re-exported)

PLUGIN_OBJECT = "HECON_MODEL"
ENTRY_POINT_GROUP = "hecon.models"
DEFAULT_MODEL = "danger_shock"
BUILTIN = {"danger_shock": "hecon.models.danger_shock.plugin"}

REQUIRED = ("name", "title", "question", "sets", "parameter_table", "strategies")


@dataclass(frozen=True)
class SetInfo:
    """One set of inputs evaluated on its own (a country set, or the only set)."""

    key: str
    label: str
    currency: str
    wtp: list[float]
    wtp_source: str = ""


@dataclass
class PluginModel:
    """A plug-in model configured for one set (and scenario): what the runner evaluates.

    ``evaluate(design)`` is the one vectorised evaluation path: the design's parameter
    samples, with the scenario's overrides applied, go to every strategy at once.
    """

    plugin: Any
    info: SetInfo
    table: ParameterTable
    config: dict[str, Any] = field(default_factory=dict)
    scenario: Scenario | None = None

    def prepare(self, design: Design) -> dict[str, Any]:
        """Parameter samples of a design with the scenario's overrides applied, every value
        checked against its unit (:func:`hecon.limits.check_values`)."""
        from hecon.limits import check_values

        params = dict(design.params().items())
        sc = self.scenario
        params = params if sc is None else sc.apply(params)
        check_values(params, self.table, design.labels,
                     {} if sc is None else {k: v.describe() for k, v in sc.parameters.items()},
                     None if sc is None else sc.file)
        return params

    def settings(self) -> Settings:
        """Counting and discounting of this configuration."""
        return self.plugin.settings(self.config)

    def evaluate(self, design: Design, **kw: Any) -> Results:
        """Every strategy on every row of a design, in one vectorised pass (outcomes checked
        to be finite: :func:`hecon.limits.check_outcomes`)."""
        from hecon.limits import check_outcomes

        return check_outcomes(evaluate(self.plugin.strategies(self.config, self.table),
                                       self.prepare(design), self.settings(),
                                       labels=design.labels, **kw))

    def base_design(self) -> Design:
        """The base-case design (one row)."""
        return Design.base(self.table)


class ModelPlugin:
    """Base class of a model plug-in; override what your model needs (see the module text).

    Required: ``name``, ``title``, ``question``, :meth:`sets`, :meth:`parameter_table` and
    :meth:`strategies`. Everything else has a default.
    """

    name: str = ""
    title: str = ""
    question: str = ""
    intervention: str | None = None  # default: the last strategy
    comparator: str | None = None  # default: the first strategy
    strategy_keys: Mapping[str, str] = {}  # strategy name -> short key (files, columns)
    parameter_labels: Mapping[str, str] = {}  # parameter name -> words for a reader
    price_parameter: str | None = None
    extra_outcomes: tuple[str, ...] = ()  # extra outputs of the strategies kept per strategy
    set_setting: str | None = None  # a setting that selects the set (flagship: "country")
    options_class: type | None = None  # analysis options (default hecon.runner.Options)
    budget_options_class: type | None = None  # options of `hecon budget` (None: no budget)

    # ---------------------------------------------------------------- required members
    def sets(self) -> dict[str, SetInfo]:
        """The model's sets by key, in run order."""
        raise NotImplementedError

    def parameter_table(self, set_key: str, inputs: Path | None = None) -> ParameterTable:
        """The parameter table of a set (``inputs``: the user's replacement table)."""
        raise NotImplementedError

    def strategies(self, config: Mapping[str, Any], table: ParameterTable) -> list[Any]:
        """Engine strategies (``MarkovModel``, ``Hybrid``, ...) for a configuration."""
        raise NotImplementedError

    # ---------------------------------------------------------------- optional members
    def config_defaults(self) -> dict[str, Any]:
        """Settings a scenario may change, with their base-case values."""
        return {}

    def settings(self, config: Mapping[str, Any]) -> Settings:
        """Counting and discounting (default: ``Settings()``)."""
        return Settings()

    def scenarios_dir(self) -> Path | None:
        """Folder of scenario YAML files, or None."""
        return None

    def build(self, set_key: str, scenario: Scenario | None = None,
              inputs: Path | None = None) -> Any:
        """The model configured for one set: an object with ``table`` and
        ``evaluate(design, keep_trace=...)`` (default: a :class:`PluginModel`)."""
        info = self.sets()[set_key]
        config = dict(self.config_defaults())
        if scenario is not None:
            for key in scenario.settings:
                if key not in config:
                    raise InputError(f"unknown setting {key!r}{did_you_mean(key, config)}",
                                     file=scenario.file)
            check_setting_types(scenario.settings, config, scenario.file)
            config.update(scenario.settings)
        table = self.parameter_table(set_key, inputs)
        if scenario is not None:
            for name in scenario.parameters:
                if name not in table:
                    raise InputError(f"scenario overrides unknown parameter"
                                     f"{did_you_mean(name, table.names)}",
                                     file=scenario.file, parameter=name)
        return PluginModel(self, info, table, config, scenario)

    def describe_settings(self, model: Any) -> dict[str, Any]:
        """The configuration of a built model, for the summary."""
        cfg = getattr(model, "config", {})
        return cfg.as_dict() if hasattr(cfg, "as_dict") else dict(cfg)

    def input_files(self, model: Any, inputs: Path | None = None) -> list[Path]:
        """Files whose checksums go into the manifest."""
        if inputs is not None:
            return [Path(inputs)]
        return [Path(p.file) for p in model.table if p.file]

    def summary_extras(self, model: Any) -> dict[str, Any]:
        """Model-specific entries merged into each set's summary."""
        return {}

    def extra_files(self, model: Any, analyses: tuple[str, ...]) -> dict[str, Any]:
        """Model-specific files for the run folder (name -> DataFrame, text or JSON)."""
        return {}

    def population(self, model: Any) -> dict[str, Any] | None:
        """Population for population EVPI (``incidence_per_year``, ``decision_years``,
        ``discounted_patients``, ``source``), or None for per-person values only."""
        return None

    def parameter_groups(self, model: Any) -> dict[str, list[str]] | None:
        """Groups of parameters for EVPPI (a study informing them together), or None."""
        return None

    def report_texts(self, summary: Mapping[str, Any]) -> dict[str, Any]:
        """Texts of the workbook and plots (see :func:`default_texts` for the keys)."""
        return default_texts(summary, self)


# ------------------------------------------------------------------------------ validation
def validate_plugin(obj: Any, where: str) -> Any:
    """Check an object against the contract; an :class:`InputError` names what is missing."""
    if obj is None:
        raise InputError(f"defines no model plug-in: add a module-level {PLUGIN_OBJECT} "
                         "object (an instance of a hecon.plugin.ModelPlugin subclass)",
                         file=where)
    if isinstance(obj, type):
        raise InputError(f"{PLUGIN_OBJECT} is a class ({obj.__name__}); it must be an "
                         f"instance: {PLUGIN_OBJECT} = {obj.__name__}()", file=where)
    missing = [m for m in REQUIRED if not hasattr(obj, m)]
    if missing:
        raise InputError(f"the model plug-in lacks {', '.join(missing)} (see hecon.plugin."
                         "ModelPlugin for the contract)", file=where)
    for m in ("name", "title", "question"):
        v = getattr(obj, m)
        if not isinstance(v, str) or not v.strip():
            raise InputError(f"the model plug-in's {m!r} must be non-empty text, got {v!r}",
                             file=where)
    for m in ("sets", "parameter_table", "strategies"):
        if not callable(getattr(obj, m)):
            raise InputError(f"the model plug-in's {m!r} must be a method", file=where)
    try:
        sets = obj.sets()
    except NotImplementedError:
        raise InputError("the model plug-in does not implement sets()", file=where) from None
    if not isinstance(sets, Mapping) or not sets:
        raise InputError("the model plug-in's sets() must return a non-empty mapping of "
                         "set key -> hecon.plugin.SetInfo", file=where)
    for key, info in sets.items():
        if not isinstance(info, SetInfo):
            raise InputError(f"set {key!r}: sets() must give hecon.plugin.SetInfo objects, "
                             f"got {type(info).__name__}", file=where)
        if info.key != key:
            raise InputError(f"set {key!r} has SetInfo.key {info.key!r}; they must agree",
                             file=where)
        if not re.fullmatch(r"[A-Za-z0-9_]+", key):
            raise InputError(f"set key {key!r} must be letters, digits or '_' (it names "
                             "files)", file=where)
        if not info.currency.strip():
            raise InputError(f"set {key!r} has no currency", file=where)
        if not info.wtp or any(not (w > 0) for w in info.wtp):
            raise InputError(f"set {key!r}: willingness-to-pay thresholds must be a "
                             f"non-empty list of positive amounts, got {info.wtp!r}",
                             file=where)
    return obj


# ------------------------------------------------------------------------------- discovery
def _entry_point(name: str) -> Any | None:
    from importlib.metadata import entry_points

    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == name:
            return ep.load()
    return None


def registered_names() -> list[str]:
    """Built-in model names and those of installed packages (entry-point group
    ``hecon.models``)."""
    from importlib.metadata import entry_points

    return sorted({*BUILTIN, *(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))})


def _from_path(path: Path) -> Any:
    """Import a .py file or a package folder and return its ``HECON_MODEL``. What the module
    prints while it is imported (e.g. the README example's table) is not shown."""
    target = path / "__init__.py" if path.is_dir() else path
    if not target.is_file():
        raise InputError("a model package folder needs an __init__.py", file=str(path))
    mod_name = "hecon_model_" + re.sub(r"\W", "_", str(path.resolve()))
    spec = importlib.util.spec_from_file_location(
        mod_name, target, submodule_search_locations=[str(path)] if path.is_dir() else None)
    if spec is None or spec.loader is None:
        raise InputError("cannot be imported as a Python module", file=str(path))
    module = importlib.util.module_from_spec(spec)
    sys.modules[mod_name] = module
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            spec.loader.exec_module(module)
    except InputError:
        raise
    except Exception as exc:
        sys.modules.pop(mod_name, None)
        raise InputError(f"importing the model failed: {type(exc).__name__}: {exc}",
                         file=str(path)) from None
    return validate_plugin(getattr(module, PLUGIN_OBJECT, None), str(path))


def load_plugin(name_or_path: str | None = None) -> Any:
    """The model plug-in for ``--model``: a registered name (default ``danger_shock``) or the
    path of a .py file or package folder defining ``HECON_MODEL``."""
    spec = name_or_path or DEFAULT_MODEL
    if spec.endswith(".py") or "/" in spec or "\\" in spec or Path(spec).is_dir():
        path = Path(spec)
        if not path.exists():
            raise InputError("model file or folder not found", file=spec)
        return _from_path(path)
    if spec in BUILTIN:
        module = importlib.import_module(BUILTIN[spec])
        return validate_plugin(getattr(module, PLUGIN_OBJECT, None), BUILTIN[spec])
    obj = _entry_point(spec)
    if obj is None:
        names = registered_names()
        raise InputError(f"unknown model {spec!r}{did_you_mean(spec, names)}; registered "
                         f"models: {', '.join(names)}; or give the path of a .py file or "
                         f"package defining {PLUGIN_OBJECT}")
    if isinstance(obj, type(sys)):  # the entry point names a module
        obj = getattr(obj, PLUGIN_OBJECT, None)
    return validate_plugin(obj, f"entry point {spec!r} ({ENTRY_POINT_GROUP})")
