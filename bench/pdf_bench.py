"""PDF rendering benchmarks (run by bench/run.py).

pdf_cjk_vs_latin          3-page Chinese report vs the same layout in English (target ≤ 1.5)
pdf_cjk_font_naive        same Chinese report: bundled GB 2312 subset vs the system font only
pdf_cjk_fonttools_subset  same, when WeasyPrint must subset with fontTools (no
                          libharfbuzz-subset): what the bundled font saves on such machines
pdf_bulk_reports          500 one-page reports on every core vs one process
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

REPS = int(os.environ.get("PDF_BENCH_REPS", "5"))
BULK_N = int(os.environ.get("PDF_BENCH_BULK", "500"))


def _html(language: str, **kwargs) -> str:
    from django.template.loader import render_to_string
    from django.utils import translation

    from tests.reports.sample_kind import sample_context

    with translation.override(language):
        context = sample_context(11, language, **kwargs)
        context["LANGUAGE_CODE"] = language
        return render_to_string("pdf/sample.html", context)


def _load() -> str:
    """1-minute load average / cores: the machine is often shared while benchmarking."""
    return f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


def _pages(pdf: bytes) -> int:
    import io

    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def _time(fn, reps: int) -> tuple[float, bytes]:
    best, out = float("inf"), b""
    for _ in range(reps):
        started = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - started)
    return best, out


def _paired(fn_a, fn_b, reps: int) -> tuple[float, float, int, int]:
    """Interleave a/b runs (same load conditions); min of each (noise only adds time)."""
    from portal.core.pdf import render_pdf  # noqa: F401 - import cost outside the timings

    fn_a(), fn_b()  # warm-up: font registration, template and CSS caches
    times_a, times_b, pdf_a, pdf_b = [], [], b"", b""
    for _ in range(reps):
        t, pdf_a = _time(fn_a, 1)
        times_a.append(t)
        t, pdf_b = _time(fn_b, 1)
        times_b.append(t)
    return min(times_a), min(times_b), _pages(pdf_a), _pages(pdf_b)


# Three pages in both languages: no cover, the full sample body.
# Three pages in both languages (checked in the note): English sentences take more room,
# so the body is short enough for the English version to stay at three pages too.
REPORT = {"rows": 9, "paragraphs": 1, "cover": False}


def bench_cjk_vs_latin() -> dict:
    from portal.core.pdf import render_pdf

    zh, en = _html("zh-hans", **REPORT), _html("en", **REPORT)
    t_zh, t_en, p_zh, p_en = _paired(lambda: render_pdf(zh), lambda: render_pdf(en), REPS)
    return {
        "value": round(t_zh, 3),
        "unit": "s",
        "baseline": round(t_en, 3),
        "ratio": round(t_zh / t_en, 3),
        "note": (
            f"sample evaluation report, zh-hans {p_zh} pages vs en {p_en} pages, same "
            f"template and data shape; min of {REPS} interleaved runs; target ratio <= 1.5; "
            f"load average {_load()}"
        ),
    }


def bench_font_naive() -> dict:
    from portal.core.pdf import render_pdf

    zh = _html("zh-hans", **REPORT)
    t_bundled, t_system, pages, _ = _paired(
        lambda: render_pdf(zh), lambda: render_pdf(zh, bundled_font=False), REPS
    )
    return {
        "value": round(t_bundled, 3),
        "unit": "s",
        "baseline": round(t_system, 3),
        "ratio": round(t_bundled / t_system, 3),
        "note": (
            f"{pages}-page zh-hans report: bundled GB 2312 subset (value) vs system "
            f"WenQuanYi Micro Hei TTC only (baseline); HarfBuzz subsetting; min of {REPS}"
        ),
    }


def bench_fonttools_subset() -> dict:
    import weasyprint.pdf.fonts as wp_fonts

    from portal.core.pdf import render_pdf

    zh = _html("zh-hans", **REPORT)
    saved = wp_fonts.harfbuzz_subset
    wp_fonts.harfbuzz_subset = None  # what WeasyPrint does without libharfbuzz-subset
    try:
        reps = max(1, REPS // 5)  # one timed pair after the warm-up: ~6 s each on fontTools
        t_bundled, t_system, pages, _ = _paired(
            lambda: render_pdf(zh), lambda: render_pdf(zh, bundled_font=False), reps
        )
    finally:
        wp_fonts.harfbuzz_subset = saved
    return {
        "value": round(t_bundled, 3),
        "unit": "s",
        "baseline": round(t_system, 3),
        "ratio": round(t_bundled / t_system, 3),
        "note": (
            f"{pages}-page zh-hans report with fontTools subsetting (machines without "
            f"libharfbuzz-subset): bundled subset (value) vs system font (baseline); min of {reps}"
        ),
    }


def _register_bulk_kind() -> None:
    from portal.core.reports import register_report
    from tests.reports.sample_kind import get_sample, sample_context

    def build(obj_id: int, language: str):
        return "pdf/sample.html", sample_context(
            obj_id, language, rows=5, paragraphs=1, cover=False, charts=False
        )

    register_report(
        "bench_short",
        build=build,
        get_object=get_sample,
        permission="organizations.manage_programme",
        replace=True,
    )


def bench_bulk() -> dict:
    from django.conf import settings

    from portal.core.reports import bulk_generate, store_report

    _register_bulk_kind()
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="pdf-bench-") as tmp:
        settings.PRIVATE_MEDIA_ROOT = Path(tmp)
        languages = ("zh-hans", "en")
        store_report("bench_short", 1, "zh-hans")  # warm caches before forking
        serial_n = 10

        def serial_rate(offset: int) -> float:
            started = time.perf_counter()
            for i in range(serial_n):
                store_report("bench_short", offset + i, languages[i % 2])
            return serial_n / (time.perf_counter() - started)

        # One process before and after the pool: the load on a shared machine drifts.
        before = serial_rate(1)
        jobs = [("bench_short", 1 + i, languages[i % 2]) for i in range(BULK_N)]
        started = time.perf_counter()
        paths = bulk_generate(jobs)
        elapsed = time.perf_counter() - started
        after = serial_rate(1 + serial_n)
        serial = (before + after) / 2
        from portal.core.storage import get_private_storage

        storage = get_private_storage()
        assert len(paths) == BULK_N and all(storage.exists(name) for name in paths)
        sizes = [storage.size(name) for name in paths]
    rate = BULK_N / elapsed
    return {
        "value": round(rate, 2),
        "unit": "reports/s",
        "baseline": round(serial, 2),
        "ratio": round(rate / serial, 3),
        "note": (
            f"{BULK_N} one-page reports (half zh-hans, half en) with bulk_generate on "
            f"{cores} cores in {elapsed:.1f}s, median {statistics.median(sizes) // 1024} KiB; "
            f"baseline: {serial_n} in one process before and after ({before:.2f} and "
            f"{after:.2f}/s); load average {_load()}"
        ),
    }


BENCHES = {
    "pdf_cjk_vs_latin": bench_cjk_vs_latin,
    "pdf_cjk_font_naive": bench_font_naive,
    "pdf_cjk_fonttools_subset": bench_fonttools_subset,
    "pdf_bulk_reports": bench_bulk,
}


def run() -> dict:
    """All PDF benchmarks, or those named in ``PDF_BENCH_ONLY`` (comma-separated keys)."""
    from tests.reports.sample_kind import sample_templates

    only = [k for k in os.environ.get("PDF_BENCH_ONLY", "").split(",") if k]
    # The sample report the benches render is test scaffolding, not a shipped kind.
    with sample_templates():
        return {key: fn() for key, fn in BENCHES.items() if not only or key in only}
