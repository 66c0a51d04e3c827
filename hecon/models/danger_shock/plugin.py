"""The DanGer Shock model as a hecon model plug-in (:mod:`hecon.plugin`): the flagship is one
model among others for ``hecon run --model danger_shock`` (the default).

Its jobs delegate to the model's own functions (:func:`runner.run_base`,
:func:`runner.run_scenarios`, :func:`report.summarise`, :mod:`analyses`), so what they write
is what they wrote before the plug-in existed. The members of the contract (sets, parameter
tables, strategies, scenarios, texts) also let the generic runner (:mod:`hecon.runner`) run
the model; a test checks that both paths give the same numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hecon.models.danger_shock import analyses as an
from hecon.models.danger_shock import runner
from hecon.models.danger_shock.budget import BudgetOptions
from hecon.models.danger_shock.config import CHOICES, ModelConfig
from hecon.models.danger_shock.inputs import (
    default_inputs_dir,
    load_country,
    load_parameters,
    parameter_files,
)
from hecon.models.danger_shock.model import STRATEGY_NAMES, DangerShockModel
from hecon.models.danger_shock.report import format_summary as _format_summary
from hecon.parameters import ParameterTable
from hecon.plugin import ModelPlugin, SetInfo
from hecon.scenarios import Scenario

INTERVENTION, COMPARATOR = STRATEGY_NAMES


class DangerShockPlugin(ModelPlugin):
    """Impella CP + standard care vs standard care in STEMI-related cardiogenic shock."""

    name = "danger_shock"
    title = "DanGer Shock model: Impella CP + standard care vs standard care"
    question = ("Is the Impella CP microaxial flow pump worth its price in STEMI-related "
                "cardiogenic shock?")
    intervention = INTERVENTION
    comparator = COMPARATOR
    strategy_keys = an.SHORT
    price_parameter = "c_device"
    extra_outcomes = ("alive_180d",)
    set_setting = "country"
    options_class = an.Options
    budget_options_class = BudgetOptions

    # -------------------------------------------------------------------- the contract
    def sets(self) -> dict[str, SetInfo]:
        """The country sets (currency, thresholds and their source from countries.yaml)."""
        out = {}
        for key in CHOICES["country"]:
            c = load_country(key)
            out[key] = SetInfo(key, c.label, c.currency, list(c.wtp), c.wtp_source)
        return out

    def parameter_table(self, set_key: str, inputs: Path | None = None) -> ParameterTable:
        """Clinical, utility and the country's cost parameters (or the user's table)."""
        return load_parameters(load_country(set_key), None, inputs)

    def strategies(self, config: Mapping[str, Any], table: ParameterTable) -> list[Any]:
        """The two strategies of a configuration."""
        cfg = ModelConfig(**dict(config))
        return DangerShockModel(cfg, load_country(cfg.country), table).strategies()

    def config_keys(self) -> list[str]:
        """Settings a scenario may change."""
        return ModelConfig.keys()

    def config_defaults(self) -> dict[str, Any]:
        """The base-case settings."""
        return ModelConfig().as_dict()

    def scenarios_dir(self) -> Path:
        """``scenarios/`` of the source tree."""
        return runner.scenarios_dir()

    def build(self, set_key: str, scenario: Scenario | None = None,
              inputs: Path | None = None) -> DangerShockModel:
        """The model for one country set (checks a user's table's names and units)."""
        return DangerShockModel.build(ModelConfig(country=set_key), scenario,
                                      parameters=inputs)

    def input_files(self, model: Any, inputs: Path | None = None) -> list[Path]:
        """Parameter files, life table, country sets and population files."""
        files = parameter_files(model.country) if inputs is None else [Path(inputs)]
        folder = default_inputs_dir() / "danger_shock"
        return [*files, model.country.life_table_file, folder / "countries.yaml",
                folder / "population.yaml"]

    def population(self, model: Any) -> dict[str, Any]:
        """Incidence and decision horizon of population.yaml."""
        return an.population(model)

    def parameter_groups(self, model: Any) -> dict[str, list[str]]:
        """Parameters a single study would inform together."""
        return an.parameter_groups(model)

    def live_model(self, folder: Path, sets: list[str], inputs: str | None = None
                   ) -> Path | None:
        """``hecon_model.xlsx``: the live Excel formula model of the base case of ``sets``
        (:mod:`hecon.models.danger_shock.excel_model`)."""
        from hecon.models.danger_shock.excel_model import build_excel_model

        models = {c: self.build(c, None, Path(inputs) if inputs else None) for c in sets}
        return build_excel_model(Path(folder) / "hecon_model.xlsx", models)

    # ----------------------------------------------------- jobs: the model's own runner
    def run(self, sets: list[str] | None = None, scenario: str | None = None,
            inputs: str | None = None, out: str | None = None, name: str | None = None,
            command: list[str] | None = None, analyses: tuple[str, ...] = ("base",),
            options: Any = None) -> tuple[Path, list[dict[str, Any]]]:
        """``hecon run`` for this model: :func:`runner.run_base`, unchanged."""
        opts = options if options is None or isinstance(options, an.Options) else an.Options(**{
            k: getattr(options, k) for k in an.Options.__dataclass_fields__
            if hasattr(options, k)})
        return runner.run_base(sets, scenario, inputs, out, name, command=command,
                               analyses=analyses, options=opts)

    def run_scenarios(self, out: str | None = None, inputs: str | None = None,
                      command: list[str] | None = None,
                      countries: list[str] | None = None) -> Any:
        """``hecon scenarios`` for this model: :func:`runner.run_scenarios`, unchanged."""
        return runner.run_scenarios(out, inputs, command=command, countries=countries)

    def format_summary(self, summary: dict[str, Any]) -> str:
        """One country set's base case for the terminal."""
        return _format_summary(summary)

    def format_analyses(self, summary: dict[str, Any]) -> str:
        """Headline numbers of the uncertainty analyses for the terminal."""
        return runner.format_analyses(summary)

    def format_scenarios(self, table: Any) -> str:
        """The scenario table for the terminal."""
        return runner.format_scenarios(table)

    # ---------------------------------------------------------------------- report texts
    def report_texts(self, summary: Mapping[str, Any]) -> dict[str, Any]:
        """The workbook's and plots' words for this model."""
        cfg = summary.get("settings", {})
        sets = summary.get("country_sets") or {summary.get("country", "dk"): summary}
        lead = {}
        for key, s in sets.items():
            a = s["strategies"][INTERVENTION]["alive_180d"]
            b = s["strategies"][COMPARATOR]["alive_180d"]
            more = "more" if a >= b else "fewer"  # absolute: points; relative: %
            rel = f", {abs(a / b - 1):.0%} {more} in relative terms" if b > 0 else ""
            lead[key] = [f"Adding the pump keeps {100 * abs(a - b):.1f} percentage points "
                         f"{more} patients alive at 180 days ({a:.1%} vs {b:.1%}{rel}, as in "
                         "the trial)."]
        return {
            "question": self.question,
            "subtitle": "Impella CP + standard care vs standard care; evidence: DanGer Shock "
                        "(Moller et al., N Engl J Med 2024;390:1382-93). Model: hecon "
                        "(docs/model.md).",
            "settings_rows": [
                ["Perspective", "hospital (index admission costs only)"
                 if cfg.get("perspective") == "hospital" else "health-care payer"],
                ["Time horizon", "lifetime (to age 100)" if cfg.get("horizon_years") is None
                 else f"{cfg['horizon_years']} years"],
                ["Structure", "acute decision tree -> long-term Markov (monthly cycles)"
                 if cfg.get("structure") == "hybrid" else "partitioned survival"],
                ["Treatment effect after 180 days", cfg.get("effect_duration")],
                ["Scenario", summary.get("scenario") or "base case"],
            ],
            "increment_label": "Increment (Impella CP - standard care)",
            "intervention_noun": "the pump",
            "comparison": "pump vs standard care",
            "difference": "pump minus standard care",
            "outcome_columns": {"alive_180d": "Alive at 180 days"},
            "price_label": "device price",
            "price_note": "(the device is bought once, at time 0, in the pump arm)",
            "lead_sentences": lead,
            "strategy_labels": {"impella": INTERVENTION, "soc": COMPARATOR},
            "state_labels": {"post_shock": "alive after shock",
                             "dialysis": "alive on dialysis", "dead": "dead"},
            "time_label": "Years since randomisation",
            "trace_title": "Markov trace from 180 days",
            "survival_title": "Modelled overall survival",
            "survival_marker": [180 / 365.25, "180 days"],
            "set_names": {k: f"{k.upper()} country set" for k in sets},
            "parameter_labels": self.parameter_labels(list(sets)),
            "budget_hint": "For the cost per year of treating N patients a year: hecon budget "
                           "--country {set} --patients N (or hecon run --analyses budget).",
            "structure_label": "what happens to the treatment effect beyond the observed "
                               "follow-up",
        }

    def parameter_labels(self, sets: list[str]) -> dict[str, str]:
        """Words for the parameters: their descriptions in inputs/ (a reader never sees a
        code name such as ``p_death_180_soc``)."""
        labels: dict[str, str] = {}
        for key in sets:
            if key in CHOICES["country"]:
                for p in load_parameters(load_country(key)):
                    if p.description:
                        labels.setdefault(p.name, p.description)
        return labels


HECON_MODEL = DangerShockPlugin()
