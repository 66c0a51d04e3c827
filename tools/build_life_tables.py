"""Derive inputs/life_tables/*.csv from the evidence dossier's raw files (reproducible).

Denmark: deaths and person-years of 2010-2012 pooled by sex and single year of age (0-98,
99 = 99+), hazard = deaths / person-years. Pooling three years steadies the rates at old ages
where single-year counts are small. USA: 2015 Mx as published. Usage::

    python tools/build_life_tables.py [--shared ../shared/evidence/life_tables]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def denmark(src: Path) -> pd.DataFrame:
    df = pd.read_csv(src / "denmark_mortality_1974_2012.csv")
    sub = df[df["year"].between(2010, 2012)]
    g = sub.groupby(["age", "sex"])[["deaths", "person_years"]].sum()
    rate = (g["deaths"] / g["person_years"]).unstack("sex")
    return pd.DataFrame({"age": rate.index, "male": rate["male"].round(8).to_numpy(),
                         "female": rate["female"].round(8).to_numpy()})


def usa(src: Path) -> pd.DataFrame:
    df = pd.read_csv(src / "usa_mx_2015.csv").sort_values("Age")
    return pd.DataFrame({"age": df["Age"], "male": df["Male"], "female": df["Female"]})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default=str(ROOT.parent / "shared" / "evidence" / "life_tables"))
    a = ap.parse_args()
    src = Path(a.shared)
    out = ROOT / "inputs" / "life_tables"
    denmark(src).to_csv(out / "denmark_2010_2012.csv", index=False)
    usa(src).to_csv(out / "usa_2015.csv", index=False)
    print(f"wrote {out / 'denmark_2010_2012.csv'} and {out / 'usa_2015.csv'}")


if __name__ == "__main__":
    main()
