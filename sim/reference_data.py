"""The bundled real-world indicators (``sim/data/states.csv``, a copy of the sourced table).

Sources and caveats are in ``sim/data/SOURCES.md``: World Bank WDI (population, GDP, 2023), Global
Carbon Budget 2024 via Our World in Data (fossil CO2, 2023), SIPRI (military expenditure, 2023).
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"
STATES_CSV = DATA_DIR / "states.csv"

#: Scenario indicator field -> states.csv column.
INDICATOR_COLUMNS = {
    "population_millions": "population_millions",
    "gdp_usd_billions": "gdp_nominal_usd_billions",
    "co2_mt": "co2_fossil_mt",
    "military_usd_billions": "military_expenditure_usd_billions",
}


@cache
def reference_rows() -> dict[str, dict[str, str]]:
    """states.csv rows keyed by iso3, as text."""
    with STATES_CSV.open(newline="", encoding="utf-8") as fh:
        return {row["iso3"]: row for row in csv.DictReader(fh)}


@cache
def reference_indicators() -> dict[str, dict[str, float | None]]:
    """Indicator values keyed by iso3 (None where states.csv has a blank cell)."""
    out = {}
    for iso, row in reference_rows().items():
        out[iso] = {
            field: (float(row[col]) if row[col].strip() else None)
            for field, col in INDICATOR_COLUMNS.items()
        }
    return out
