"""Split the evaluation questions once, at random, into a calibration file and a test file.

    python -m bench.split_questions [--seed N] [--fraction 0.4]

Stratified by kind and category (so each kind of question appears on both sides), seeded, and
recorded in eval/split.json. It is run once: thresholds are set on the calibration file only,
and the test file is never edited after results have been seen.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import random
import sys
from collections import defaultdict
from pathlib import Path

EVAL = Path(__file__).resolve().parent.parent / "eval"


def split(rows: list[dict], fraction: float, seed: int) -> tuple[list[dict], list[dict]]:
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for row in rows:
        groups[(row["kind"], row.get("category", ""))].append(row)
    rng = random.Random(seed)
    calibration_ids: set[str] = set()
    for key in sorted(groups):
        members = sorted(groups[key], key=lambda r: r["id"])
        rng.shuffle(members)
        calibration_ids.update(r["id"] for r in members[: math.floor(fraction * len(members))])
    calibration = [r for r in rows if r["id"] in calibration_ids]
    test = [r for r in rows if r["id"] not in calibration_ids]
    return calibration, test


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.split_questions", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--fraction", type=float, default=0.4, help="share of each group for calibration (≤ 0.4)")
    args = parser.parse_args(argv)
    if not 0 < args.fraction <= 0.4:
        parser.error("the calibration share must be at most 0.4")
    rows = [json.loads(line) for line in (EVAL / "questions.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    calibration, test = split(rows, args.fraction, args.seed)
    for name, part in (("calibration.jsonl", calibration), ("test.jsonl", test)):
        (EVAL / name).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in part), encoding="utf-8")
    (EVAL / "split.json").write_text(json.dumps({
        "source": "questions.jsonl", "seed": args.seed, "fraction": args.fraction, "stratified_by": ["kind", "category"],
        "date": datetime.date.today().isoformat(), "calibration": len(calibration), "test": len(test),
    }, indent=2) + "\n", encoding="utf-8")
    print(f"{len(calibration)} calibration, {len(test)} test questions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
