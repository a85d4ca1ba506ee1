"""A long fuzz campaign of the scenario and table loaders (not part of the test run).

    python tests/fuzz_campaign.py [--examples 100000] [--seed 0]

Draws from the same strategies as tests/test_fuzz.py (mutated bundled files, random bytes, random
text) and counts outcomes: valid scenario, ScenarioError, or anything else (a bug, reported with
the input that caused it). Prints a summary line per strategy and a JSON summary at the end.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from test_fuzz import mutated

from sim.errors import ScenarioError
from sim.scenario import load_scenario


def campaign(name, strategy, examples: int, seed_value: int, folder: Path) -> dict:
    counts = {"valid": 0, "scenario_error": 0, "other": 0}
    bugs: list[str] = []

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=False,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @seed(seed_value)
    @given(case=strategy)
    def run(case):
        suffix, data = case
        p = folder / f"case{suffix}"
        p.write_bytes(data)
        try:
            load_scenario(p)
            counts["valid"] += 1
        except ScenarioError:
            counts["scenario_error"] += 1
        except Exception:
            counts["other"] += 1
            if len(bugs) < 5:
                bugs.append(f"{data[:200]!r}\n{traceback.format_exc(limit=3)}")

    t0 = time.perf_counter()
    run()
    counts["seconds"] = round(time.perf_counter() - t0, 1)
    counts["examples"] = counts["valid"] + counts["scenario_error"] + counts["other"]
    print(f"{name}: {counts}", flush=True)
    for b in bugs:
        print("BUG:", b)
    return counts


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--examples", type=int, default=100_000, help="examples per strategy")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        out = {
            "mutated_files": campaign("mutated_files", mutated(), args.examples, args.seed, folder),
            "random_bytes": campaign(
                "random_bytes",
                st.tuples(st.sampled_from([".yaml", ".csv"]), st.binary(max_size=2000)),
                args.examples,
                args.seed,
                folder,
            ),
            "random_text": campaign(
                "random_text",
                st.tuples(
                    st.sampled_from([".yaml", ".csv"]),
                    st.text(max_size=400).map(lambda t: t.encode("utf-8", "surrogatepass")),
                ),
                args.examples,
                args.seed,
                folder,
            ),
        }
    print(json.dumps(out))
    return 1 if any(v["other"] for v in out.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
