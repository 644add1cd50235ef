"""Registry of PDF report kinds, storage of generated reports, bulk rendering, download.

Apps register a kind in a ``report_kinds.py`` module (auto-discovered on first use)::

    from portal.reports import register_report

    register_report(
        "project",
        label=_("Project final report"),
        get_object=lambda obj_id: FundedProject.objects.get(pk=obj_id),
        build=build_project_report,      # (obj_id, language) -> (template_name, context)
        can_view=can_view_project_report,  # (user, obj) -> bool, staff always may
        fingerprint=project_report_fingerprint,  # optional (obj_id) -> str
    )

``build`` runs inside ``translation.override(language)``; the template should extend
``pdf/base.html``. Generated files live under ``PRIVATE_MEDIA_ROOT/reports/<kind>/`` with
a deterministic name (:func:`report_path`) and a JSON sidecar; they are served only by
:func:`download_report`, which checks permission.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import zipfile
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db import connections
from django.http import FileResponse, Http404, HttpResponse
from django.utils import timezone, translation
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _
from django_tasks import task

logger = logging.getLogger(__name__)

# The kinds promised by `render_report` in CONTRACT.md; apps register them.
CONTRACT_KINDS = ("application", "call", "project", "incubation", "receipt")
LANGUAGES = ("zh-hans", "en")


class ReportError(Exception):
    """Base class: the message is meant for the operator."""


class UnknownReportKind(ReportError):
    pass


class ReportObjectNotFound(ReportError):
    pass


class UnsupportedLanguage(ReportError):
    pass


BuildFn = Callable[[int, str], tuple[str, dict]]
PermissionFn = Callable[[Any, Any], bool]


def staff_only(user, obj) -> bool:
    return bool(user and user.is_active and user.is_staff)


@dataclass(frozen=True)
class ReportKind:
    name: str
    label: Any
    build: BuildFn
    get_object: Callable[[int], Any]
    can_view: PermissionFn = staff_only
    fingerprint: Callable[[int], str] | None = None


_registry: dict[str, ReportKind] = {}
_discovered = False


def register_report(
    name: str,
    *,
    build: BuildFn,
    get_object: Callable[[int], Any],
    can_view: PermissionFn = staff_only,
    label: Any = None,
    fingerprint: Callable[[int], str] | None = None,
    replace: bool = False,
) -> ReportKind:
    """Register a report kind. Raises ``ValueError`` if the name is taken (unless ``replace``)."""
    if name in _registry and not replace:
        raise ValueError(f"report kind {name!r} is already registered")
    kind = ReportKind(name, label or name, build, get_object, can_view, fingerprint)
    _registry[name] = kind
    return kind


def unregister_report(name: str) -> None:
    _registry.pop(name, None)


def _discover() -> None:
    global _discovered
    if not _discovered:
        _discovered = True
        autodiscover_modules("report_kinds")


def report_kinds() -> dict[str, ReportKind]:
    _discover()
    return dict(_registry)


def get_kind(name: str) -> ReportKind:
    """The registered kind; raises :class:`UnknownReportKind` with the available names."""
    kinds = report_kinds()
    if name not in kinds:
        available = ", ".join(sorted(kinds)) or "none"
        if name in CONTRACT_KINDS:
            raise UnknownReportKind(
                f"report kind {name!r} is not available yet (no app registers it); "
                f"available: {available}"
            )
        raise UnknownReportKind(f"unknown report kind {name!r}; available: {available}")
    return kinds[name]


def _check_language(language: str) -> str:
    if language not in LANGUAGES:
        raise UnsupportedLanguage(
            f"unsupported language {language!r}; use one of {', '.join(LANGUAGES)}"
        )
    return language


def get_report_object(kind: str, obj_id: int) -> Any:
    """Load the object a report is about; raises :class:`ReportObjectNotFound`."""
    try:
        return get_kind(kind).get_object(obj_id)
    except ObjectDoesNotExist as exc:
        raise ReportObjectNotFound(f"no {kind} with id {obj_id}") from exc


def build_report(kind: str, obj_id: int, language: str) -> tuple[str, dict]:
    """Template name and context for one report, built in ``language``.

    Raises :class:`UnknownReportKind`, :class:`ReportObjectNotFound`,
    :class:`UnsupportedLanguage`.
    """
    report_kind = get_kind(kind)
    _check_language(language)
    with translation.override(language):
        try:
            template_name, context = report_kind.build(obj_id, language)
        except ObjectDoesNotExist as exc:
            raise ReportObjectNotFound(f"no {kind} with id {obj_id}") from exc
        context = {
            "LANGUAGE_CODE": language,
            "generated_at": timezone.now(),
            "kind_label": report_kind.label,
            **context,
        }
    return template_name, context


def render_report(kind: str, obj_id: int, language: str = "zh-hans") -> bytes:
    """PDF bytes of one report (no storage). Raises as :func:`build_report`."""
    from django.template.loader import render_to_string

    from portal.pdf import render_pdf

    template_name, context = build_report(kind, obj_id, language)
    with translation.override(language):
        html = render_to_string(template_name, context)
    return render_pdf(html)


def report_path(kind: str, obj_id: int, language: str) -> Path:
    """Deterministic storage path: ``PRIVATE_MEDIA_ROOT/reports/<kind>/<kind>-<id>-<lang>.pdf``."""
    if not kind.replace("_", "").isalnum():
        raise UnknownReportKind(f"invalid report kind {kind!r}")
    _check_language(language)
    root = Path(settings.PRIVATE_MEDIA_ROOT) / "reports" / kind
    return root / f"{kind}-{int(obj_id)}-{language}.pdf"


def sidecar_path(pdf_path: Path) -> Path:
    return pdf_path.with_suffix(".json")


def read_sidecar(kind: str, obj_id: int, language: str) -> dict | None:
    path = sidecar_path(report_path(kind, obj_id, language))
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def _fingerprint(kind: str, obj_id: int) -> str | None:
    fn = get_kind(kind).fingerprint
    return fn(obj_id) if fn else None


def is_stale(kind: str, obj_id: int, language: str) -> bool:
    """True when no stored report exists or its data fingerprint no longer matches."""
    meta = read_sidecar(kind, obj_id, language)
    if meta is None or not report_path(kind, obj_id, language).exists():
        return True
    current = _fingerprint(kind, obj_id)
    return current is not None and meta.get("fingerprint") != current


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def store_report(kind: str, obj_id: int, language: str) -> Path:
    """Render a report and store it with its JSON sidecar; returns the PDF path.

    Side effects: writes ``report_path(...)`` and its ``.json`` sidecar atomically
    (replace-on-rename, so readers never see half a file). Raises as :func:`build_report`.
    """
    path = report_path(kind, obj_id, language)
    fingerprint = _fingerprint(kind, obj_id)
    pdf = render_report(kind, obj_id, language)
    _atomic_write(path, pdf)
    meta = {
        "kind": kind,
        "obj_id": int(obj_id),
        "language": language,
        "generated_at": timezone.now().isoformat(),
        "bytes": len(pdf),
        "sha256": hashlib.sha256(pdf).hexdigest(),
        "fingerprint": fingerprint,
    }
    _atomic_write(sidecar_path(path), json.dumps(meta, indent=2).encode())
    return path


@task()
def generate_report(kind: str, obj_id: int, language: str, force: bool = False) -> str:
    """Background task: (re)generate and store one report unless it is up to date.

    Returns the stored path. Regenerates when ``force``, when no file exists, or when the
    kind's fingerprint changed. Raises :class:`ReportError` subclasses for bad input.
    """
    if force or is_stale(kind, obj_id, language):
        return str(store_report(kind, obj_id, language))
    return str(report_path(kind, obj_id, language))


def enqueue_report(kind: str, obj_id: int, language: str, *, force: bool = False):
    """Enqueue :func:`generate_report` on the ``reports`` queue when the backend has one."""
    queues = generate_report.get_backend().queues
    queued = generate_report.using(queue_name="reports") if "reports" in queues else generate_report
    return queued.enqueue(kind, int(obj_id), language, force)


# --- bulk generation -----------------------------------------------------------------


def _worker_init() -> None:
    from portal.pdf import forget_inherited_fonts

    forget_inherited_fonts()
    # Forked children must not share the parent's database sockets.
    for conn in connections.all(initialized_only=True):
        conn.inc_thread_sharing()
        conn.close()
        conn.dec_thread_sharing()


def _store_one(job: tuple[str, int, str]) -> str:
    return str(store_report(*job))


def bulk_generate(
    jobs: Sequence[tuple[str, int, str]],
    *,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[Path]:
    """Render and store many reports using every core (a process pool).

    ``jobs`` are ``(kind, obj_id, language)``; returns the stored paths in job order.
    ``progress(done, total)`` is called in this process after each report. With
    ``workers=1`` everything runs in this process (no fork). The first failure is raised
    after the pool shuts down; reports finished before it stay stored.
    """
    total = len(jobs)
    workers = workers or os.cpu_count() or 1
    results: list[Path | None] = [None] * total
    if workers == 1 or total <= 1:
        for index, job in enumerate(jobs):
            results[index] = store_report(*job)
            if progress:
                progress(index + 1, total)
        return results  # type: ignore[return-value]
    connections.close_all()
    # Children are forked: they inherit this process's parsed stylesheets and fonts.
    with ProcessPoolExecutor(max_workers=workers, initializer=_worker_init) as pool:
        futures = {pool.submit(_store_one, tuple(job)): i for i, job in enumerate(jobs)}
        for done, future in enumerate(as_completed(futures), start=1):
            results[futures[future]] = Path(future.result())
            if progress:
                progress(done, total)
    return results  # type: ignore[return-value]


def zip_reports(paths: Iterable[Path], target: Path) -> Path:
    """Write the given stored reports into one ZIP (flat names); returns ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as archive:
        for path in paths:
            archive.write(path, arcname=Path(path).name)
    return target


# --- batches: bulk generation in the background with progress and a ZIP ---------------


def _batch_dir() -> Path:
    return Path(settings.PRIVATE_MEDIA_ROOT) / "reports" / "batches"


def _batch_file(batch_id: str, suffix: str) -> Path:
    if not (len(batch_id) == 32 and all(c in "0123456789abcdef" for c in batch_id)):
        raise ReportError(f"invalid batch id {batch_id!r}")
    return _batch_dir() / f"{batch_id}{suffix}"


def _write_status(batch_id: str, **status) -> None:
    _atomic_write(_batch_file(batch_id, ".json"), json.dumps(status).encode())


def batch_status(batch_id: str) -> dict | None:
    """``{"state": "queued|running|done|failed", "done", "total", "label", ...}`` or None."""
    try:
        path = _batch_file(batch_id, ".json")
    except ReportError:
        return None
    return json.loads(path.read_text()) if path.exists() else None


def start_report_batch(jobs: Sequence[tuple[str, int, str]], *, label: str = "") -> str:
    """Queue a batch of reports (e.g. every report of a call); returns its id.

    Validates every kind and language first (raises :class:`ReportError`), writes a
    ``queued`` status file, then enqueues :func:`generate_report_batch`.
    """
    import uuid

    jobs = [(kind, int(obj_id), language) for kind, obj_id, language in jobs]
    for kind, _obj_id, language in jobs:
        get_kind(kind)
        _check_language(language)
    batch_id = uuid.uuid4().hex
    _write_status(batch_id, state="queued", done=0, total=len(jobs), label=label)
    queues = generate_report_batch.get_backend().queues
    task_ = (
        generate_report_batch.using(queue_name="reports")
        if "reports" in queues
        else (generate_report_batch)
    )
    task_.enqueue(batch_id, [list(job) for job in jobs], label)
    return batch_id


@task()
def generate_report_batch(batch_id: str, jobs: list[list], label: str = "") -> str:
    """Background task: render a batch on every core and zip it.

    Progress (``done``/``total``) is written to the batch status file after each report,
    so a page can poll it; the ZIP lands next to it as ``<batch_id>.zip``. On failure
    the status says ``failed`` with the operator-facing message, and the error is raised.
    """
    total = len(jobs)
    _write_status(batch_id, state="running", done=0, total=total, label=label)

    def progress(done: int, total: int) -> None:
        _write_status(batch_id, state="running", done=done, total=total, label=label)

    try:
        paths = bulk_generate([tuple(job) for job in jobs], progress=progress)
        archive = zip_reports(paths, _batch_file(batch_id, ".zip"))
    except Exception as exc:
        _write_status(batch_id, state="failed", done=0, total=total, label=label, error=str(exc))
        raise
    _write_status(batch_id, state="done", done=total, total=total, label=label, zip=archive.name)
    return str(archive)


def download_report_batch(request, batch_id: str):
    """Staff only: the batch ZIP when done, else its JSON status (202 while in progress)."""
    from django.http import JsonResponse

    user = request.user
    if not user.is_authenticated:
        from django.contrib.auth.views import redirect_to_login

        return redirect_to_login(request.get_full_path())
    if not (user.is_active and user.is_staff):
        raise PermissionDenied
    status = batch_status(batch_id)
    if status is None:
        raise Http404("no such batch")
    if status["state"] != "done":
        return JsonResponse(status, status=202 if status["state"] != "failed" else 200)
    path = _batch_file(batch_id, ".zip")
    filename = f"reports-{batch_id[:8]}.zip"
    return FileResponse(
        path.open("rb"), as_attachment=True, filename=filename, content_type="application/zip"
    )


# --- download ---------------------------------------------------------------------------


def download_report(request, kind: str, obj_id: int, language: str):
    """Serve a stored report PDF.

    Staff may download any report; other signed-in users only where the kind's
    ``can_view(user, obj)`` allows (e.g. an organization's members for their own
    reports). A report not generated yet is enqueued and answered with 202.
    """
    user = request.user
    if not user.is_authenticated:
        from django.contrib.auth.views import redirect_to_login

        return redirect_to_login(request.get_full_path())
    try:
        report_kind = get_kind(kind)
        path = report_path(kind, obj_id, language)
        obj = get_report_object(kind, obj_id)
    except ReportError as exc:
        raise Http404(str(exc)) from exc
    if not (user.is_active and (user.is_staff or report_kind.can_view(user, obj))):
        raise PermissionDenied
    if not path.exists():
        enqueue_report(kind, obj_id, language)
        if not path.exists():
            response = HttpResponse(
                _("The report is being generated. Please try again in a minute."),
                status=202,
                content_type="text/plain; charset=utf-8",
            )
            response["Retry-After"] = "30"
            return response
    return FileResponse(
        path.open("rb"), as_attachment=True, filename=path.name, content_type="application/pdf"
    )


# --- built-in demo kind ------------------------------------------------------------------
# `sample` needs no database: the id seeds deterministic content (ids 1..9999). It shows
# every building block of the layer and is what the tests and the benchmark render.

SAMPLE_MAX_ID = 9999

_ZH_SENTENCES = (
    "项目以社区需求为导向，通过入户走访和居民议事会收集了长者照护、儿童托管和邻里互助三类需求。",
    "执行团队按月召开例会，对照项目书中的进度表检查里程碑完成情况，并及时调整活动安排。",
    "财务管理方面，项目设立专账核算，每笔支出均附有发票和签收单，预算执行率为百分之九十二。",
    "志愿者队伍由最初的十二人发展到四十五人，其中骨干志愿者八人已能独立组织小组活动。",
    "居民满意度调查显示，参与者对服务的及时性和工作人员的专业态度评价较高。",
    "项目在社区内形成了可复制的互助模式，街道已表示将在下一年度继续支持并推广到相邻社区。",
    "评估组查阅了活动记录、签到表、照片和财务凭证，并与受益人、社区工作者进行了访谈。",
    "针对中期评估提出的问题，机构补充了风险预案，完善了志愿者培训和激励制度。",
)
_EN_SENTENCES = (
    "The project started from community needs collected through home visits and residents' "
    "councils: elderly care, after-school childcare and neighbourhood mutual aid.",
    "The delivery team met monthly, checked milestones against the plan in the proposal and "
    "adjusted the activity schedule when needed.",
    "Finances were kept in a separate ledger; every expense carries an invoice and a signed "
    "receipt, and budget execution reached ninety-two per cent.",
    "The volunteer team grew from twelve to forty-five people, eight of whom now run group "
    "activities on their own.",
    "The residents' satisfaction survey rated the timeliness of services and the "
    "professional attitude of the staff highly.",
    "The project built a mutual-aid model that can be repeated; the sub-district office will "
    "fund it again next year and extend it to neighbouring communities.",
    "Evaluators read activity records, attendance sheets, photographs and financial "
    "vouchers, and interviewed beneficiaries and community workers.",
    "In response to the mid-term findings the organization added a risk plan and improved "
    "volunteer training and recognition.",
)
_DIMENSIONS = {
    "zh-hans": ("项目管理", "财务管理", "项目成效", "社会影响与可持续"),
    "en": ("Project management", "Financial management", "Outcomes",
           "Social impact and sustainability"),
}  # fmt: skip
_DIMENSION_MAX = (25, 20, 35, 20)
_ACTIVITIES = {
    "zh-hans": ("长者健康讲座", "四点半课堂", "邻里互助小组", "志愿者培训", "社区议事会",
                "入户探访", "亲子阅读", "便民维修日"),
    "en": ("Health talk for elders", "After-school class", "Mutual-aid group",
           "Volunteer training", "Residents' council", "Home visit", "Family reading",
           "Repair day"),
}  # fmt: skip


@dataclass(frozen=True)
class SampleReport:
    """Stand-in object for the ``sample`` kind (no database row)."""

    pk: int


def get_sample(obj_id: int) -> SampleReport:
    if not 1 <= int(obj_id) <= SAMPLE_MAX_ID:
        raise ObjectDoesNotExist(f"sample ids are 1..{SAMPLE_MAX_ID}")
    return SampleReport(int(obj_id))


def sample_context(
    obj_id: int,
    language: str,
    *,
    rows: int = 40,
    paragraphs: int = 6,
    cover: bool = True,
    charts: bool = True,
) -> dict:
    """Deterministic content for the sample report (an evaluation-style document)."""
    import random

    from portal import charts as chart_lib
    from portal.pdf import sanitize_html

    get_sample(obj_id)
    rng = random.Random(obj_id)  # noqa: S311 - demo content, not security
    zh = language == "zh-hans"
    sentences = _ZH_SENTENCES if zh else _EN_SENTENCES
    activities = _ACTIVITIES[language]
    dimensions = _DIMENSIONS[language]
    scores = [round(m * rng.uniform(0.62, 0.97), 1) for m in _DIMENSION_MAX]
    total = round(sum(scores), 1)
    grade = (
        ("优" if total >= 90 else "良" if total >= 80 else "中" if total >= 60 else "差")
        if zh
        else (
            "Excellent"
            if total >= 90
            else "Good"
            if total >= 80
            else "Fair"
            if total >= 60
            else "Poor"
        )
    )
    narrative = [
        " ".join(rng.sample(sentences, 4)) if not zh else "".join(rng.sample(sentences, 4))
        for _ in range(paragraphs)
    ]
    table_rows = [
        {
            "no": i + 1,
            "date": f"2026-{(i % 12) + 1:02d}-{(i % 27) + 1:02d}",
            "activity": activities[i % len(activities)],
            "note": sentences[i % len(sentences)],
            "people": 10 + (i * 7) % 60,
        }
        for i in range(rows)
    ]
    rich = (
        "<p><strong>{}</strong> {}</p><script>alert(1)</script>"
        '<img src="http://example.invalid/tracker.png"><ul><li>{}</li><li>{}</li></ul>'
    ).format(*(rng.choice(sentences) for _ in range(4)))
    title = (f"社区互助项目末期评估报告（示例 {obj_id}）" if zh
             else f"Community Mutual-Aid Project: Final Evaluation (sample {obj_id})")  # fmt: skip
    context = {
        "title": title,
        "subtitle": "公益创投资助项目 · 末期评估"
        if zh
        else "Venture philanthropy grant · final evaluation",
        "cover": cover,
        "reference": f"SAMPLE-{obj_id:04d}",
        "cover_facts": [
            (
                _("Organization"),
                "幸福里社区互助中心" if zh else "Xingfuli Community Mutual-Aid Centre",
            ),
            (_("Score"), f"{total} / 100"),
            (_("Grade"), grade),
        ],
        "dimensions": list(zip(dimensions, scores, _DIMENSION_MAX, strict=True)),
        "total": total,
        "grade": grade,
        "narrative": narrative,
        "rich_text": sanitize_html(rich),
        "rows": table_rows,
        "people_total": sum(r["people"] for r in table_rows),
        "feedback": [],
    }
    if charts:
        context["radar"] = chart_lib.radar_chart(
            title=str(_("Score by dimension as a share of its maximum")),
            dimensions=dimensions,
            series={
                str(_("Score")): [
                    round(s / m * 100, 1) for s, m in zip(scores, _DIMENSION_MAX, strict=True)
                ]
            },
        )
        context["bar"] = chart_lib.bar_chart(
            title=str(_("Participants by activity")),
            labels=activities[:6],
            series=[
                sum(r["people"] for r in table_rows if r["activity"] == a) for a in activities[:6]
            ],
        )
        context["line"] = chart_lib.line_chart(
            title=str(_("Participants per month")),
            x_labels=[f"{m}" for m in range(1, 13)],
            series=[
                sum(r["people"] for r in table_rows if int(r["date"][5:7]) == m)
                for m in range(1, 13)
            ],
        )
    return context


def build_sample(obj_id: int, language: str) -> tuple[str, dict]:
    return "pdf/sample.html", sample_context(obj_id, language)


register_report(
    "sample",
    label=_("Sample report"),
    build=build_sample,
    get_object=get_sample,
    fingerprint=lambda obj_id: f"sample-{obj_id}-v1",
)
