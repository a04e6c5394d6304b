"""``python -m scale``: simulate the day for every design and print the tables of docs/scale.md.

python -m scale                 # the day of the brief, 2 processes
python -m scale --scale 0.1     # a lighter day (a tenth of the uploads, capacities in proportion)
python -m scale --params        # the parameter table with sources (docs/scale.md, 'Parameters')
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from scale import asbuilt
from scale.params import render_markdown
from scale.report import render
from scale.scenarios import MAIN_CAP, run, scaled_model, scenarios


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scale", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the day's uploads (default 1)")
    parser.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="processes (default 2)")
    parser.add_argument(
        "--cap", type=int, action="append", default=[], help=f"vidpipe cap (default {MAIN_CAP})"
    )
    parser.add_argument("--only", action="append", default=[], help="only the designs whose name has this")
    parser.add_argument("--params", action="store_true", help="print the parameter table and exit")
    args = parser.parse_args(argv)
    if args.params:
        sys.stdout.write(render_markdown())
        return 0
    if not 0 < args.scale <= 1 or args.jobs < 1:
        parser.error("--scale must be in (0, 1] and --jobs at least 1")
    model, config = scaled_model(args.scale), asbuilt.load()
    caps = tuple(args.cap) or (MAIN_CAP,)
    every = scenarios(model, config, args.scale, caps)
    chosen = [s for s in every if not args.only or any(o in s.name for o in args.only)]
    if not chosen:
        parser.error(f"no design matches {args.only}")
    start = time.perf_counter()
    results = run(model, config, chosen, args.seed, args.jobs)
    cap = max(1, round(caps[0] * args.scale))
    sys.stdout.write(render(results, model, config, cap, time.perf_counter() - start, args.jobs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
