"""Worker benchmark (not part of the test run): python benchmarks/worker_bench.py [--quick]

Two 60 s 1280x720 30 fps H.264 clips with the same content (12 shots, half of them panning, 3 captions,
faces in 2 shots per 30 s, 4 sentences), one at 4 Mbit/s with sensor-like grain and one at about
200 kbit/s. For both, in the same interleaved rounds, each measure in a fresh process:
  - the floor: ``ffmpeg -i clip -f null -`` (Debian ffmpeg; ``apt-get install -y ffmpeg`` if missing);
  - the worker (``worker.api.analyze_file``, default options): wall, CPU (user + system), peak RSS,
    start-up (process start to the first decoded frame handed to the analyzers), seconds per analyzer,
    and the findings (cuts, text lines, faces, speech seconds), so that a speed-up that loses findings
    shows;
  - with ``--baseline DIR``, the worker of another checkout (e.g. a ``git worktree`` of main) the same way.
Prints the best (lowest) wall and CPU of the rounds, and the ratios to decode-only.

Options: ``--quick`` (one round), ``--repeat N`` (rounds, default 3), ``--keep DIR`` (write the clips there
and reuse them on the next run), ``--baseline DIR`` (repeatable: each checkout is measured in the same rounds).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

#: (seconds, picture, caption, pan): half the shots move (camera pan), half hold still (slides, tripod).
SHOTS_SPEC = [
    (5.0, "astronaut", "WELCOME TO VIDPIPE", False),
    (5.0, "coffee", None, True),
    (5.0, "chelsea", "A CAT NAMED CHELSEA", True),
    (5.0, "#2a5599", "BREAKING NEWS", False),
    (5.0, "rocket", None, True),
    (5.0, "chelsea", None, False),
]
#: name -> (grain, x264 options): the same content at two bitrates.
CLIPS = {
    "4 Mbit/s": (8, {"preset": "veryfast", "b": "4M", "g": "250"}),
    "200 kbit/s": (0, {"preset": "veryfast", "b": "140k", "g": "250"}),  # + ~65 kbit/s of AAC
}

_MEASURE = """
import json, os, resource, sys, time
t_called = time.perf_counter()
sys.path.insert(0, sys.argv[2]) if sys.argv[2] else None
import worker.pipeline as pipeline
first = []
dispatch = pipeline._AnalysisThread._dispatch
def timed(self, item):
    if not first and type(item).__name__ == "Frame":
        first.append(time.perf_counter())
    return dispatch(self, item)
pipeline._AnalysisThread._dispatch = timed
from worker.api import analyze_file
doc = analyze_file(sys.argv[1])
ended = time.perf_counter()
with open("/proc/self/stat") as f:  # process start, in clock ticks since boot
    started_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
with open("/proc/uptime") as f:
    age = float(f.read().split()[0]) - started_ticks / os.sysconf("SC_CLK_TCK")
origin = ended - age  # perf_counter value at process start (10 ms resolution)
a = doc["analyzers"]
print(json.dumps({
    "worker": os.path.dirname(pipeline.__file__),
    "startup": first[0] - origin if first else None,
    "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "timings": doc["timings"],
    "findings": {
        "cuts": len(a["shots"]["cuts"]),
        "text lines": len(a["text"]["lines"]),
        "face ranges": len(a["faces"]["ranges"]),
        "max faces": a["faces"]["max_faces"],
        "speech s": a["speech"]["speech_seconds"],
    },
}))
"""


def make_clip(path: Path, grain: int, options: dict[str, str]) -> None:
    from vidpipe.clipgen import Encoding, Shot, Utterance, make_clip

    shots = [Shot(s, p, c, pan) for s, p, c, pan in SHOTS_SPEC] * 2
    speech = [
        Utterance(t, "This is a benchmark of the video analysis worker") for t in (2.0, 17.0, 33.0, 48.0)
    ]
    make_clip(path, shots, speech, Encoding(fps=30, width=1280, height=720, grain=grain, options=options))


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(command: list[str]) -> tuple[float, float, str]:
    """Wall and CPU seconds of a child process, and what it printed."""
    before, started = _children_cpu(), time.perf_counter()
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    return time.perf_counter() - started, _children_cpu() - before, out.stdout


def ffmpeg_decode(clip: Path) -> dict[str, Any]:
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise SystemExit("ffmpeg not found: apt-get install -y ffmpeg (Debian package, the decode floor)")
    wall, cpu, _ = _timed([ffmpeg, "-v", "error", "-i", str(clip), "-f", "null", "-"])
    return {"wall": wall, "cpu": cpu}


def run_worker(clip: Path, checkout: str) -> dict[str, Any]:
    """The worker of ``checkout`` ("" = this one) on ``clip``, in a fresh interpreter."""
    wall, cpu, out = _timed([sys.executable, "-c", _MEASURE, str(clip), checkout])
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return {**result, "wall": wall, "cpu": cpu}


def _best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The fastest run, with the lowest CPU and start-up of all the rounds (the load drifts)."""
    best = dict(min(runs, key=lambda r: r["wall"]))
    best["cpu"] = min(r["cpu"] for r in runs)
    startups = [r["startup"] for r in runs if r.get("startup") is not None]
    best["startup"] = min(startups) if startups else None
    return best


def _report(clip_name: str, size: int, results: dict[str, dict[str, Any]]) -> None:
    floor = results["ffmpeg"]
    print(f"\n== {clip_name} clip ({size * 8 / 60 / 1000:.0f} kbit/s overall, 60 s 1280x720 30 fps)")
    print(f"{'ffmpeg decode-only':22}: wall {floor['wall']:6.2f} s   CPU {floor['cpu']:6.2f} s")
    for label, r in results.items():
        if label == "ffmpeg":
            continue
        startup = f"{r['startup']:.2f} s" if r.get("startup") is not None else "-"
        print(
            f"{label:22}: wall {r['wall']:6.2f} s   CPU {r['cpu']:6.2f} s   wall {r['wall'] / floor['wall']:.2f}x"
            f"  CPU {r['cpu'] / floor['cpu']:.2f}x   start-up {startup}   peak RSS {r['rss_mb']:.0f} MB"
        )
        print(f"{'':22}  seconds: " + ", ".join(f"{k}={v:.2f}" for k, v in r["timings"].items()))
        print(f"{'':22}  findings: " + ", ".join(f"{k} {v}" for k, v in r["findings"].items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one round (figures noisier)")
    parser.add_argument("--repeat", type=int, default=3, help="interleaved rounds (best is kept)")
    parser.add_argument("--keep", type=Path, help="write the clips here and reuse them next time")
    parser.add_argument(
        "--baseline",
        type=Path,
        action="append",
        default=[],
        help="another checkout whose worker to measure too (repeatable)",
    )
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="worker-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    clips: dict[str, Path] = {}
    for name, (grain, options) in CLIPS.items():
        clips[name] = folder / f"bench_720p_60s_{options['b']}.mp4"
        if not clips[name].exists():
            started = time.perf_counter()
            make_clip(clips[name], grain, options)
            print(f"generated {clips[name]} in {time.perf_counter() - started:.0f} s")
    workers = {"worker": ""}
    for n, checkout in enumerate(args.baseline, 1):
        workers["baseline worker" + (f" {n}" if len(args.baseline) > 1 else "")] = str(checkout.resolve())
    load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {c: {} for c in clips}
    for _ in range(1 if args.quick else args.repeat):
        for name, clip in clips.items():  # interleaved: every measure sees the same drift of the load
            runs[name].setdefault("ffmpeg", []).append(ffmpeg_decode(clip))
            for label, checkout in workers.items():
                runs[name].setdefault(label, []).append(run_worker(clip, checkout))
    load_after = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average before / after: {load_before} / {load_after} ({os.cpu_count()} CPUs)")
    for label, checkout in workers.items():
        print(
            f"{label}: {runs[next(iter(clips))][label][0]['worker']}"
            + (" (this checkout)" if not checkout else "")
        )
    for name, clip in clips.items():
        _report(name, clip.stat().st_size, {label: _best(r) for label, r in runs[name].items()})
    print(
        "\ntargets: 4 Mbit/s wall <= 1.5x decode-only and CPU <= 7 s; 200 kbit/s wall <= 3.0x; start-up <= 0.5 s"
    )
    if args.keep is None:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
