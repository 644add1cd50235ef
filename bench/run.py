"""`make bench`: run every benchmark module in bench/ and merge into bench/results.json.

Convention (see bench/README.md): a module named ``bench/*_bench.py`` or
``bench/bench_*.py`` defines ``run() -> dict[str, dict]`` returning CONTRACT entries
``{"value", "unit", "baseline", "ratio", "note"}``. Each module runs in its own Python
process (Django set up, ``DJANGO_SETTINGS_MODULE`` defaulting to ``portal.settings.dev``),
so one benchmark's pools, caches or crash cannot disturb another. Results are merged into
``bench/results.json``: keys a run produced are replaced, every other key is kept.

    python bench/run.py                # all modules
    python bench/run.py -k pdf         # modules whose name contains "pdf"
    python bench/run.py --list
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULTS = BENCH_DIR / "results.json"
FIELDS = ("value", "unit", "baseline", "ratio", "note")


def discover() -> list[str]:
    names = {p.stem for p in BENCH_DIR.glob("*_bench.py")} | {
        p.stem for p in BENCH_DIR.glob("bench_*.py")
    }
    return sorted(names)


def validate(key: str, entry: dict) -> dict:
    """Check one entry against the CONTRACT schema; fill ``ratio`` when it can."""
    missing = [f for f in ("value", "unit") if f not in entry]
    if missing:
        raise ValueError(f"{key}: missing {', '.join(missing)}")
    entry = {field: entry.get(field) for field in FIELDS}
    if entry["ratio"] is None and entry["baseline"]:
        entry["ratio"] = round(entry["value"] / entry["baseline"], 3)
    entry["note"] = entry["note"] or ""
    return entry


def run_module(name: str) -> dict:
    """Run ``bench/<name>.py``'s ``run()`` in a child process; returns its entries."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = Path(handle.name)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.dev")
    try:
        subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--child", name, "--out", str(out)],
            cwd=ROOT,
            env=env,
            check=True,
        )
        return json.loads(out.read_text())
    finally:
        out.unlink(missing_ok=True)


def _child(name: str, out: Path) -> None:
    import importlib.util

    import django

    sys.path.insert(0, str(ROOT))
    django.setup()
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH_DIR / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    results = module.run()
    out.write_text(json.dumps({key: validate(key, entry) for key, entry in results.items()}))


def merge(new: dict, path: Path = RESULTS) -> dict:
    current = json.loads(path.read_text()) if path.exists() else {}
    current.update(new)
    merged = dict(sorted(current.items()))
    path.write_text(json.dumps(merged, indent=2, ensure_ascii=False) + "\n")
    return merged


def table(results: dict) -> str:
    rows = [("benchmark", "value", "unit", "baseline", "ratio")]
    for key, e in results.items():
        baseline = "" if e.get("baseline") is None else f"{e['baseline']:g}"
        ratio = "" if e.get("ratio") is None else f"{e['ratio']:g}"
        rows.append((key, f"{e['value']:g}", e["unit"], baseline, ratio))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", "--select", default="", help="only modules containing this")
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child, args.out)
        return 0
    names = [n for n in discover() if args.select in n]
    if args.list:
        print("\n".join(names))
        return 0
    produced, failed = {}, []
    for name in names:
        started = time.perf_counter()
        print(f"== {name}", flush=True)
        try:
            produced.update(run_module(name))
        except subprocess.CalledProcessError:
            failed.append(name)
            print(f"!! {name} failed", flush=True)
        print(f"   {time.perf_counter() - started:.1f}s", flush=True)
    merged = merge(produced) if produced else {}
    print(table({k: merged[k] for k in produced}) if produced else "no results")
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
