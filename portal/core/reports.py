"""Registry of PDF report kinds, storage of generated reports, bulk rendering, download.

Apps register a kind in a ``report_kinds.py`` module (auto-discovered on first use)::

    from portal.core.reports import register_report

    register_report(
        "project",
        label=_("Project final report"),
        get_object=lambda obj_id: FundedProject.objects.get(pk=obj_id),
        build=build_project_report,      # (obj_id, language) -> (template_name, context)
        permission="projects.view_project_report",  # checked as user.has_perm(name, obj)
        fingerprint=project_report_fingerprint,  # optional (obj_id) -> str
    )

``build`` runs inside ``translation.override(language)``; the template should extend
``pdf/base.html``. Generated files live in the private storage (:mod:`portal.core.storage`:
``PRIVATE_MEDIA_ROOT`` or a private S3 bucket) under ``reports/<kind>/`` with a
deterministic name (:func:`report_name`) and a JSON sidecar; they are written and read
through the storage API only and served only by :func:`download_report`, which checks
the kind's named permission (``user.has_perm(kind.permission, obj)``; the rules live in
each app's ``rules.py``, see docs/security.md). This module imports no app.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import posixpath
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.files import File
from django.db import connections
from django.http import FileResponse, Http404, HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _
from django_tasks import task

from portal.core.storage import forget_private_storage, get_private_storage, replace_file

logger = logging.getLogger(__name__)

# The kinds promised by `render_report` in CONTRACT.md; apps register them.
CONTRACT_KINDS = ("application", "call", "project", "incubation", "receipt")
LANGUAGES = ("zh-hans", "en")
# Label of the project final report, here so it stays translated in portal's catalogue
# whichever app registers the kind (review now, delivery/evaluation later).
PROJECT_LABEL = _("Project final report")


class ReportError(Exception):
    """Base class: the message is meant for the operator."""


class UnknownReportKind(ReportError):
    pass


class ReportObjectNotFound(ReportError):
    pass


class UnsupportedLanguage(ReportError):
    pass


BuildFn = Callable[[int, str], tuple[str, dict]]
# Who may use the reports admin pages and start and download batches (every kind, many
# objects): programme staff (organizations/rules.py).
STAFF_PERMISSION = "organizations.manage_programme"


def data_fingerprint(*parts: Any) -> str:
    """A short digest of the data a report shows (for a kind's ``fingerprint``).

    Pass plain values (lists of tuples from ``values_list``, dates, Decimals): they are
    serialised as JSON with ``str`` for anything else, so equal data gives an equal
    digest in every process.
    """
    payload = json.dumps(parts, default=str, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class ReportKind:
    name: str
    label: Any
    build: BuildFn
    get_object: Callable[[int], Any]
    permission: str
    fingerprint: Callable[[int], str] | None = None


_registry: dict[str, ReportKind] = {}
_discovered = False


def register_report(
    name: str,
    *,
    build: BuildFn,
    get_object: Callable[[int], Any],
    permission: str,
    label: Any = None,
    fingerprint: Callable[[int], str] | None = None,
    replace: bool = False,
) -> ReportKind:
    """Register a report kind. ``permission`` names the rule (``app.verb_object``) that
    decides, for a user and the report's object, who may download it. Raises
    ``ValueError`` if the name is taken (unless ``replace``)."""
    if name in _registry and not replace:
        raise ValueError(f"report kind {name!r} is already registered")
    kind = ReportKind(name, label or name, build, get_object, permission, fingerprint)
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

    from portal.core.pdf import render_pdf

    template_name, context = build_report(kind, obj_id, language)
    with translation.override(language):
        html = render_to_string(template_name, context)
    return render_pdf(html)


def report_name(kind: str, obj_id: int, language: str) -> str:
    """Deterministic name in the private storage: ``reports/<kind>/<kind>-<id>-<lang>.pdf``."""
    if not kind.replace("_", "").isalnum():
        raise UnknownReportKind(f"invalid report kind {kind!r}")
    _check_language(language)
    return f"reports/{kind}/{kind}-{int(obj_id)}-{language}.pdf"


def sidecar_name(pdf_name: str) -> str:
    return posixpath.splitext(pdf_name)[0] + ".json"


def _read_json(name: str) -> dict | None:
    """The JSON document stored under ``name``, or None when there is none."""
    try:
        with get_private_storage().open(name, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        return None
    return json.loads(data.decode("utf-8"))


def read_sidecar(kind: str, obj_id: int, language: str) -> dict | None:
    return _read_json(sidecar_name(report_name(kind, obj_id, language)))


def report_exists(kind: str, obj_id: int, language: str) -> bool:
    """True when the report's PDF is stored."""
    return get_private_storage().exists(report_name(kind, obj_id, language))


def open_report(kind: str, obj_id: int, language: str):
    """The stored PDF opened for reading (a storage ``File``); raises FileNotFoundError."""
    return get_private_storage().open(report_name(kind, obj_id, language), "rb")


def stored_report_response(
    kind: str, obj_id: int, language: str, *, filename: str, pending_message: str
):
    """The stored PDF as an attachment, streamed from the private storage; or, while it
    is not stored yet (the caller has enqueued it), 202 with ``pending_message`` and
    ``Retry-After``. Rendering never happens in the request."""
    try:
        pdf = open_report(kind, obj_id, language)
    except FileNotFoundError:
        response = HttpResponse(
            pending_message, status=202, content_type="text/plain; charset=utf-8"
        )
        response["Retry-After"] = "30"
        return response
    return FileResponse(pdf, as_attachment=True, filename=filename, content_type="application/pdf")


def _fingerprint(kind: str, obj_id: int) -> str | None:
    fn = get_kind(kind).fingerprint
    return fn(obj_id) if fn else None


def is_stale(kind: str, obj_id: int, language: str) -> bool:
    """True when no stored report exists or its data fingerprint no longer matches."""
    meta = read_sidecar(kind, obj_id, language)
    if meta is None or not report_exists(kind, obj_id, language):
        return True
    current = _fingerprint(kind, obj_id)
    return current is not None and meta.get("fingerprint") != current


def store_report(kind: str, obj_id: int, language: str) -> str:
    """Render a report and store it with its JSON sidecar; returns the PDF's storage name.

    Side effects: writes ``report_name(...)`` and its ``.json`` sidecar in the private
    storage, each replaced whole (:func:`portal.core.storage.replace_file`: rename on the file
    system, one PUT on S3), so readers never see half a file. Raises as :func:`build_report`.
    """
    name = report_name(kind, obj_id, language)
    fingerprint = _fingerprint(kind, obj_id)
    pdf = render_report(kind, obj_id, language)
    replace_file(name, pdf)
    meta = {
        "kind": kind,
        "obj_id": int(obj_id),
        "language": language,
        "generated_at": timezone.now().isoformat(),
        "bytes": len(pdf),
        "sha256": hashlib.sha256(pdf).hexdigest(),
        "fingerprint": fingerprint,
    }
    replace_file(sidecar_name(name), json.dumps(meta, indent=2).encode())
    return name


# How long a queued generation blocks another one for the same report (the task frees
# it when it ends; this only matters when a worker dies mid-way).
QUEUED_SECONDS = 600
# The "being updated" page reloads itself this often (seconds).
UPDATING_RETRY_SECONDS = 10


def _queued_key(kind: str, obj_id: int, language: str) -> str:
    return f"report-queued:{kind}:{int(obj_id)}:{language}"


@task()
def generate_report(kind: str, obj_id: int, language: str, force: bool = False) -> str:
    """Background task: (re)generate and store one report unless it is up to date.

    Returns the PDF's name in the private storage. Regenerates when ``force``, when no
    file exists, or when the kind's fingerprint changed. Raises :class:`ReportError`
    subclasses for bad input. Frees the report's "queued" mark when it ends.
    """
    try:
        if force or is_stale(kind, obj_id, language):
            return store_report(kind, obj_id, language)
        return report_name(kind, obj_id, language)
    finally:
        cache.delete(_queued_key(kind, obj_id, language))


def enqueue_report(kind: str, obj_id: int, language: str, *, force: bool = False):
    """Enqueue :func:`generate_report` on the ``reports`` queue when the backend has one.

    At most one generation per (kind, object, language) waits at a time: a mark in the
    shared cache (added atomically, freed by the task, expiring after
    ``QUEUED_SECONDS``) makes a burst of requests for the same report queue it once.
    Returns the queued task's result, or ``None`` when one is already waiting
    (``force`` always queues)."""
    if not cache.add(_queued_key(kind, obj_id, language), 1, QUEUED_SECONDS) and not force:
        return None
    queues = generate_report.get_backend().queues
    queued = generate_report.using(queue_name="reports") if "reports" in queues else generate_report
    return queued.enqueue(kind, int(obj_id), language, force)


# --- bulk generation -----------------------------------------------------------------


def _worker_init() -> None:
    from portal.core.pdf import forget_inherited_fonts

    forget_inherited_fonts()
    # Nor the parent's storage connections (an S3 client's sockets).
    forget_private_storage()
    # Forked children must not share the parent's database sockets.
    for conn in connections.all(initialized_only=True):
        conn.inc_thread_sharing()
        conn.close()
        conn.dec_thread_sharing()


def _store_one(job: tuple[str, int, str]) -> str:
    return store_report(*job)


def bulk_generate(
    jobs: Sequence[tuple[str, int, str]],
    *,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[str]:
    """Render and store many reports using every core (a process pool).

    ``jobs`` are ``(kind, obj_id, language)``; returns the stored names in job order.
    ``progress(done, total)`` is called in this process after each report. With
    ``workers=1``, or inside a database transaction, everything runs in this process.
    The first failure is raised after the pool shuts down; reports finished before it
    stay stored.
    """
    total = len(jobs)
    workers = workers or os.cpu_count() or 1
    if any(conn.in_atomic_block for conn in connections.all(initialized_only=True)):
        # Forking needs the connections closed, which would break the open transaction
        # (e.g. the immediate task backend inside a request or a test): stay in-process.
        workers = 1
    results: list[str | None] = [None] * total
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
            results[futures[future]] = future.result()
            if progress:
                progress(done, total)
    return results  # type: ignore[return-value]


# ZIPs are built in memory up to this size, then in a temporary file.
ZIP_SPOOL_BYTES = 32 * 1024 * 1024


def zip_reports(names: Iterable[str], target: str) -> str:
    """Write the given stored reports into one ZIP (flat names) stored as ``target`` in
    the private storage (replacing any); returns ``target``."""
    storage = get_private_storage()
    with tempfile.SpooledTemporaryFile(max_size=ZIP_SPOOL_BYTES) as spool:
        with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_STORED) as archive:
            for name in names:
                with (
                    storage.open(name, "rb") as source,
                    archive.open(posixpath.basename(name), "w") as member,
                ):
                    for chunk in source.chunks():
                        member.write(chunk)
        spool.seek(0)
        replace_file(target, File(spool, name=posixpath.basename(target)), storage)
    return target


# --- batches: bulk generation in the background with progress and a ZIP ---------------


BATCH_DIR = "reports/batches"


def _batch_file(batch_id: str, suffix: str) -> str:
    """Name of a batch's status (``.json``) or archive (``.zip``) in the private storage."""
    if not (len(batch_id) == 32 and all(c in "0123456789abcdef" for c in batch_id)):
        raise ReportError(f"invalid batch id {batch_id!r}")
    return f"{BATCH_DIR}/{batch_id}{suffix}"


def _write_status(batch_id: str, **status) -> None:
    replace_file(_batch_file(batch_id, ".json"), json.dumps(status).encode())


def batch_status(batch_id: str) -> dict | None:
    """``{"state": "queued|running|done|failed", "done", "total", "label", ...}`` or None."""
    try:
        name = _batch_file(batch_id, ".json")
    except ReportError:
        return None
    return _read_json(name)


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
    _write_status(
        batch_id,
        state="done",
        done=total,
        total=total,
        label=label,
        zip=posixpath.basename(archive),
    )
    return archive


def download_report_batch(request, batch_id: str):
    """Staff only: the batch ZIP when done, else its JSON status (202 while in progress)."""
    from django.http import JsonResponse

    user = request.user
    if not user.is_authenticated:
        from django.contrib.auth.views import redirect_to_login

        return redirect_to_login(request.get_full_path())
    if not user.has_perm(STAFF_PERMISSION):
        raise PermissionDenied
    status = batch_status(batch_id)
    if status is None:
        raise Http404("no such batch")
    if status["state"] != "done":
        return JsonResponse(status, status=202 if status["state"] != "failed" else 200)
    try:
        archive = get_private_storage().open(_batch_file(batch_id, ".zip"), "rb")
    except FileNotFoundError as exc:
        raise Http404("the batch archive is gone") from exc
    filename = f"reports-{batch_id[:8]}.zip"
    return FileResponse(
        archive, as_attachment=True, filename=filename, content_type="application/zip"
    )


# --- download ---------------------------------------------------------------------------


def _login(request):
    from django.contrib.auth.views import redirect_to_login

    return redirect_to_login(request.get_full_path())


def can_view_report(user, kind: str, obj: Any, *, report_kind: ReportKind | None = None) -> bool:
    """The kind's named permission for this user and object (anonymous visitors
    included, e.g. a published call summary). Inactive accounts never."""
    if user.is_authenticated and not user.is_active:
        return False
    report_kind = report_kind or get_kind(kind)
    return user.has_perm(report_kind.permission, obj)


def download_report(request, kind: str, obj_id: int, language: str):
    """Serve a stored report PDF.

    Only where the kind's named permission allows (:func:`can_view_report`); anonymous
    visitors refused are sent to the login page. A report not generated yet, or whose
    data changed since it was written (its fingerprint), is never served: it is queued
    (once) and the reader gets a "being updated" page in their language that reloads
    itself (202, ``Retry-After``).
    """
    user = request.user
    try:
        report_kind = get_kind(kind)
        name = report_name(kind, obj_id, language)
        obj = get_report_object(kind, obj_id)
    except ReportError as exc:
        if not user.is_authenticated:
            return _login(request)
        raise Http404(str(exc)) from exc
    if not can_view_report(user, kind, obj, report_kind=report_kind):
        if not user.is_authenticated:
            return _login(request)
        raise PermissionDenied
    if is_stale(kind, obj_id, language):
        enqueue_report(kind, obj_id, language)
        # An in-process task backend has written it already; a worker has not.
        if is_stale(kind, obj_id, language):
            return _updating_response(request, stale=report_exists(kind, obj_id, language))
    return stored_report_response(
        kind,
        obj_id,
        language,
        filename=posixpath.basename(name),
        pending_message=_("The report is being generated. Please try again in a minute."),
    )


def _updating_response(request, *, stale: bool) -> HttpResponse:
    response = HttpResponse(
        render_to_string(
            "reports/updating.html",
            {"stale": stale, "retry_after": UPDATING_RETRY_SECONDS},
            request=request,
        ),
        status=202,
    )
    response["Retry-After"] = str(UPDATING_RETRY_SECONDS)
    response["Cache-Control"] = "no-store"
    return response
