"""Worker benchmark (not part of the test run): python benchmarks/worker_bench.py [--keep DIR]

Generates a 60 s 1280x720 30 fps H.264 clip with AAC audio (shots, captions, faces, speech), then measures
in the same run, each in a fresh process:
  - the worker (worker.api.analyze_file, default options): wall time, peak RSS, seconds per analyzer;
  - the floor: ``ffmpeg -i clip -f null -`` (Debian ffmpeg; ``apt-get install -y ffmpeg`` if missing);
  - a naive baseline: OpenCV reads every frame, every model runs on every sampled frame (no skipping of
    unchanged frames), audio decoded in a second pass, all in one thread.
and prints the ratios worker/decode-only and naive/worker.
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


def measure_worker(clip: Path) -> dict[str, Any]:
    """The worker as the container runs it (one decode pass, overlapped inference, skipping)."""
    from worker.api import analyze_file

    doc = analyze_file(clip)
    return {"timings": doc["timings"], "summary": doc["summary"]}


def measure_naive(clip: Path) -> dict[str, Any]:
    """OpenCV reads every frame; the same models run on every sampled frame (OCR never skips); audio is
    decoded in a second pass (OpenCV has no audio); one thread, no overlap."""
    import av
    import cv2

    from worker.analyzers import AudioChunk, Frame
    from worker.decode import open_container, probe
    from worker.options import Options
    from worker.registry import build_analyzers

    analyzers = build_analyzers(
        Options(
            config={"text": {"change_threshold": -1.0}, "faces": {"change_threshold": -1.0}}, thumbnails=False
        )
    )
    with open_container(clip) as container:
        meta = probe(container, clip.stat().st_size, None)
    for analyzer in analyzers:
        analyzer.start(meta)
    capture = cv2.VideoCapture(str(clip))
    fps = capture.get(cv2.CAP_PROP_FPS)
    index, next_sample = 0, 0.0
    while True:
        ok, bgr = capture.read()
        if not ok:
            break
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        sampled = index / fps + 1e-6 >= next_sample
        next_sample += 1.0 if sampled else 0.0
        frame = Frame(
            index,
            index / fps,
            cv2.resize(rgb, (64, 36), interpolation=cv2.INTER_AREA),
            rgb if sampled else None,
        )
        for analyzer in analyzers:
            if analyzer.every_frame or sampled:
                analyzer.on_frame(frame)
        index += 1
    resampler = av.AudioResampler(format="flt", layout="mono", rate=16000)
    with av.open(str(clip)) as container:
        for audio in container.decode(audio=0):
            for out in resampler.resample(audio):
                for analyzer in (a for a in analyzers if a.audio):
                    analyzer.on_audio(AudioChunk(float(audio.time or 0.0), out.to_ndarray().reshape(-1)))
    sections = {a.name: a.finish() for a in analyzers}
    return {"frames": index, "shots": sections["shots"]["count"]}


MEASURES = {"worker": measure_worker, "naive": measure_naive}


#: (seconds, picture, caption, pan): half the shots move (camera pan), half hold still (slides, tripod).
SHOTS_SPEC = [
    (5.0, "astronaut", "WELCOME TO VIDPIPE", False),
    (5.0, "coffee", None, True),
    (5.0, "chelsea", "A CAT NAMED CHELSEA", True),
    (5.0, "#2a5599", "BREAKING NEWS", False),
    (5.0, "rocket", None, True),
    (5.0, "chelsea", None, False),
]


def make_clip(path: Path) -> float:
    from vidpipe.clipgen import Encoding, Shot, Utterance, make_clip

    shots = [Shot(s, p, c, pan) for s, p, c, pan in SHOTS_SPEC] * 2
    speech = [
        Utterance(t, "This is a benchmark of the video analysis worker") for t in (2.0, 17.0, 33.0, 48.0)
    ]
    enc = Encoding(
        fps=30, width=1280, height=720, grain=8, options={"preset": "veryfast", "b": "4M", "g": "250"}
    )
    started = time.perf_counter()
    make_clip(path, shots, speech, enc)
    return time.perf_counter() - started


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_measure(name: str, clip: Path) -> dict[str, Any]:
    """Run one measure in a fresh interpreter: wall time, peak RSS and CPU seconds (user + system)."""
    before = _children_cpu()
    out = subprocess.run(
        [sys.executable, __file__, "--measure", name, str(clip)], capture_output=True, text=True, check=True
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    result["cpu"] = _children_cpu() - before
    return result


def ffmpeg_decode(clip: Path) -> dict[str, float]:
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise SystemExit("ffmpeg not found: apt-get install -y ffmpeg (Debian package, the decode floor)")
    before, started = _children_cpu(), time.perf_counter()
    subprocess.run([ffmpeg, "-v", "error", "-i", str(clip), "-f", "null", "-"], check=True)
    return {"wall": time.perf_counter() - started, "cpu": _children_cpu() - before}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="write the clip here and keep it")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each measurement (best is kept)")
    parser.add_argument("--measure", nargs=2, metavar=("NAME", "CLIP"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        name, clip_path = args.measure
        started = time.perf_counter()
        result = MEASURES[name](Path(clip_path))
        result["wall"] = time.perf_counter() - started
        result["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return
    folder = args.keep or Path(tempfile.mkdtemp(prefix="worker-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    clip = folder / "bench_720p_60s.mp4"
    load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"generating {clip} ... {make_clip(clip):.1f} s, {clip.stat().st_size / 1e6:.1f} MB")

    # Interleaved rounds, best of each: the machine's load drifts, and every measure should see the same.
    rounds = [
        (ffmpeg_decode(clip), run_measure("worker", clip), run_measure("naive", clip))
        for _ in range(args.repeat)
    ]
    floor, worker, naive = (min((r[i] for r in rounds), key=lambda m: m["wall"]) for i in range(3))

    print(f"load average before/after  : {load_before} / {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for label, r in (
        ("ffmpeg -f null decode-only", floor),
        ("worker (analyze_file)", worker),
        ("naive", naive),
    ):
        rss = f"   peak RSS {r['rss_mb']:.0f} MB" if "rss_mb" in r else ""
        print(f"{label:27}: wall {r['wall']:6.2f} s   CPU {r['cpu']:6.2f} s{rss}")
    print("worker seconds per stage   : " + ", ".join(f"{k}={v:.2f}" for k, v in worker["timings"].items()))
    print(
        f"worker / decode-only       : wall {worker['wall'] / floor['wall']:.2f}x, CPU "
        f"{worker['cpu'] / floor['cpu']:.2f}x  (target: wall <= 1.5x)"
    )
    print(
        f"naive / worker             : wall {naive['wall'] / worker['wall']:.2f}x, CPU "
        f"{naive['cpu'] / worker['cpu']:.2f}x"
    )
    print(f"summary: {json.dumps(worker['summary'])}")
    if args.keep is None:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
