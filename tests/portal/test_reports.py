"""Report registry, render_report command, storage, task, bulk generation, download view."""

import io
import json
import zipfile
from types import SimpleNamespace

import pytest
import rules
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.management import CommandError, call_command
from django.http import Http404
from django.test import RequestFactory
from django.utils import translation
from pypdf import PdfReader

from portal.core import reports
from portal.core.reports import (
    ReportObjectNotFound,
    UnknownReportKind,
    UnsupportedLanguage,
    build_report,
    bulk_generate,
    download_report,
    enqueue_report,
    generate_report,
    get_kind,
    is_stale,
    read_sidecar,
    register_report,
    report_exists,
    report_name,
    store_report,
    unregister_report,
    zip_reports,
)
from portal.core.storage import get_private_storage
from tests.reports import sample_kind as report_kinds


def _read(name: str) -> bytes:
    """A stored file's bytes, through the private storage."""
    with get_private_storage().open(name, "rb") as fh:
        return fh.read()


def _officer():
    """A programme officer as seed_demo builds one (``is_staff`` opens the admin only;
    the role is what lets them read every report)."""
    from django.contrib.auth.models import Group

    from organizations.roles import PROGRAMME_OFFICER

    user = User.objects.create_user("officer", password="x", is_staff=True)
    user.groups.add(Group.objects.get_or_create(name=PROGRAMME_OFFICER)[0])
    return user


def _text(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _build_light(obj_id, language):
    context = report_kinds.sample_context(
        obj_id, language, rows=2, paragraphs=1, cover=False, charts=False
    )
    return "pdf/sample.html", context


@pytest.fixture(autouse=True, scope="module")
def _light_kind():
    """The sample kind (test scaffolding, not shipped) and a one-page variant of it, for
    tests about storage rather than layout."""
    with report_kinds.sample_report_kind():
        register_report(
            "light",
            build=_build_light,
            get_object=report_kinds.get_sample,
            permission="organizations.manage_programme",
            fingerprint=lambda obj_id: f"light-{obj_id}",
        )
        yield
        unregister_report("light")


@pytest.fixture(scope="module")
def sample_zh():
    return reports.render_report("sample", 7, "zh-hans")


def test_get_kind_unknown_name_lists_available():
    with pytest.raises(UnknownReportKind, match="unknown report kind 'nope'; available: .*sample"):
        get_kind("nope")


def test_every_contract_kind_is_registered():
    assert set(reports.CONTRACT_KINDS) <= set(reports.report_kinds())


def test_get_kind_unregistered_contract_kind_is_unknown(monkeypatch):
    reports.report_kinds()  # discovery done, so the kind stays unregistered
    monkeypatch.delitem(reports._registry, "receipt", raising=False)

    with pytest.raises(UnknownReportKind, match="unknown report kind 'receipt'"):
        get_kind("receipt")


def test_register_report_twice_is_refused_unless_replace():
    kwargs = {
        "build": lambda i, lang: ("pdf/sample.html", {}),
        "get_object": lambda i: i,
        "permission": "organizations.manage_programme",
    }
    register_report("test_twice", **kwargs)
    try:
        with pytest.raises(ValueError, match="already registered"):
            register_report("test_twice", **kwargs)

        kind = register_report("test_twice", replace=True, label="L", **kwargs)

        assert kind.label == "L"
    finally:
        unregister_report("test_twice")


def test_build_report_unknown_id_and_language():
    with pytest.raises(ReportObjectNotFound, match="no sample with id 0"):
        build_report("sample", 0, "zh-hans")
    with pytest.raises(UnsupportedLanguage, match="unsupported language 'fr'"):
        build_report("sample", 1, "fr")


def test_build_report_runs_in_the_requested_language():
    _, zh = build_report("sample", 3, "zh-hans")
    _, en = build_report("sample", 3, "en")

    assert zh["title"] == "社区互助项目末期评估报告（示例 3）"
    assert en["title"] == "Community Mutual-Aid Project: Final Evaluation (sample 3)"
    assert (zh["LANGUAGE_CODE"], en["LANGUAGE_CODE"]) == ("zh-hans", "en")


def test_sample_report_zh_has_cover_cjk_text_charts_and_empty_state(sample_zh):
    reader = PdfReader(io.BytesIO(sample_zh))
    pages = [page.extract_text() for page in reader.pages]

    assert "社区互助项目末期评估报告（示例 7）" in pages[0]
    assert "1 /" not in pages[0]
    assert f"2 / {len(pages)}" in pages[1]
    assert "社会组织孵化与公益创投资助平台" in pages[1]
    text = "".join(pages)
    for expected in ("项目管理", "社会影响与可持续", "长者健康讲座", "幸福里社区互助中心"):
        assert expected in text
    assert "alert(1)" not in text
    for label in ("各维度得分", "评估意见", "活动日期", "尚无居民评价。"):
        assert label in text
    assert reader.outline[0].title == "社区互助项目末期评估报告（示例 7）"


def test_render_report_command_writes_pdf_in_english(tmp_path):
    target = tmp_path / "out" / "sample.pdf"
    out = io.StringIO()

    call_command("render_report", "sample", "5", "-o", str(target), "--language", "en", stdout=out)

    text = _text(target.read_bytes())
    assert "Community Mutual-Aid Project: Final Evaluation (sample 5)" in text
    assert "Social impact and sustainability" in text
    assert "Scores by dimension" in text
    assert "No feedback from residents yet." in text
    assert out.getvalue().startswith(f"{target} (")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope", "1"], "unknown report kind 'nope'"),
        (["call", "987654"], "no call with id 987654"),
        (["sample", "123456"], "no sample with id 123456"),
    ],
)
@pytest.mark.django_db
def test_render_report_command_clear_error(tmp_path, args, message):
    target = tmp_path / "x.pdf"

    with pytest.raises(CommandError, match=message):
        call_command("render_report", *args, "-o", str(target))

    assert not target.exists()


def test_report_name_is_deterministic_under_private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"

    name = report_name("sample", 12, "en")

    assert name == "reports/sample/sample-12-en.pdf"
    # The default private storage keeps it under PRIVATE_MEDIA_ROOT.
    assert get_private_storage().path(name) == str(
        tmp_path / "private" / "reports" / "sample" / "sample-12-en.pdf"
    )
    with pytest.raises(UnknownReportKind):
        report_name("../etc", 1, "en")


def test_store_report_writes_pdf_and_sidecar(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path

    name = store_report("light", 2, "en")

    meta = read_sidecar("light", 2, "en")
    assert name == report_name("light", 2, "en")
    assert _read(name)[:5] == b"%PDF-"
    assert json.loads(_read("reports/light/light-2-en.json")) == meta
    assert (meta["kind"], meta["obj_id"], meta["language"]) == ("light", 2, "en")
    assert meta["bytes"] == get_private_storage().size(name) == len(_read(name))
    assert sorted(p.name for p in (tmp_path / "reports" / "light").iterdir()) == [
        "light-2-en.json",
        "light-2-en.pdf",
    ]
    assert meta["fingerprint"] == "light-2"
    assert is_stale("light", 2, "en") is False
    assert is_stale("light", 2, "zh-hans") is True


def test_generate_report_task_regenerates_only_when_stale(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    version = {"v": "1"}
    register_report(
        "test_fp",
        build=_build_light,
        get_object=report_kinds.get_sample,
        permission="organizations.manage_programme",
        fingerprint=lambda obj_id: version["v"],
    )
    try:
        first = enqueue_report("test_fp", 4, "zh-hans")
        stamp = read_sidecar("test_fp", 4, "zh-hans")["generated_at"]
        enqueue_report("test_fp", 4, "zh-hans")
        unchanged = read_sidecar("test_fp", 4, "zh-hans")["generated_at"]
        version["v"] = "2"
        enqueue_report("test_fp", 4, "zh-hans")
        changed = read_sidecar("test_fp", 4, "zh-hans")

        assert first.return_value == report_name("test_fp", 4, "zh-hans")
        assert unchanged == stamp
        assert changed["fingerprint"] == "2"
        assert changed["generated_at"] != stamp
    finally:
        unregister_report("test_fp")


def test_bulk_generate_uses_processes_and_reports_progress(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    seen = []
    jobs = [("light", 1, "en"), ("light", 2, "zh-hans"), ("light", 3, "en")]

    paths = bulk_generate(jobs, workers=2, progress=lambda done, total: seen.append((done, total)))

    assert paths == [report_name(*job) for job in jobs]
    assert all(_read(name)[:5] == b"%PDF-" for name in paths)
    assert seen == [(1, 3), (2, 3), (3, 3)]
    archive = zip_reports(paths, "reports/all.zip")
    assert archive == "reports/all.zip"
    with zipfile.ZipFile(io.BytesIO(_read(archive))) as zipped:
        assert zipped.read("light-2-zh-hans.pdf") == _read(paths[1])
    assert sorted(zipfile.ZipFile(tmp_path / "reports" / "all.zip").namelist()) == [
        "light-1-en.pdf",
        "light-2-zh-hans.pdf",
        "light-3-en.pdf",
    ]


@pytest.fixture
def rf():
    return RequestFactory()


def _request(rf, user):
    request = rf.get("/reports/sample/1/en.pdf")
    request.user = user
    return request


def test_download_report_anonymous_redirects_to_login(rf):
    response = download_report(_request(rf, AnonymousUser()), "sample", 1, "en")

    assert response.status_code == 302
    assert "next=/reports/sample/1/en.pdf" in response["Location"]


@pytest.mark.django_db
def test_download_report_non_staff_is_refused(rf):
    user = User.objects.create_user("member", password="x")

    with pytest.raises(PermissionDenied):
        download_report(_request(rf, user), "sample", 1, "en")


@pytest.mark.django_db
def test_download_report_is_staff_flag_alone_grants_nothing(rf):
    from django.contrib.auth.models import Group

    from organizations.roles import REVIEWER

    reviewer = User.objects.create_user("reviewer", password="x", is_staff=True)
    reviewer.groups.add(Group.objects.get_or_create(name=REVIEWER)[0])

    with pytest.raises(PermissionDenied):
        download_report(_request(rf, reviewer), "sample", 1, "en")


@pytest.mark.django_db
def test_download_report_staff_gets_the_stored_pdf(rf, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    staff = _officer()
    name = store_report("light", 1, "en")

    response = download_report(_request(rf, staff), "light", 1, "en")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="light-1-en.pdf"'
    assert b"".join(response.streaming_content) == _read(name)


@pytest.mark.django_db
def test_download_report_kind_permission_can_admit_non_staff(rf, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    member = User.objects.create_user("orgmember", password="x")
    rules.add_perm("tests.view_test_perm", lambda user, obj: obj.pk == 1)
    register_report(
        "test_perm",
        build=_build_light,
        get_object=report_kinds.get_sample,
        permission="tests.view_test_perm",
    )
    try:
        response = download_report(_request(rf, member), "test_perm", 1, "en")
        with pytest.raises(PermissionDenied):
            download_report(_request(rf, member), "test_perm", 2, "en")
    finally:
        unregister_report("test_perm")
        rules.remove_perm("tests.view_test_perm")

    # The immediate task backend generated the missing report during the request.
    assert response.status_code == 200
    assert report_exists("test_perm", 1, "en")


@pytest.mark.django_db
def test_download_report_unknown_kind_or_id_is_404(rf):
    staff = _officer()

    with pytest.raises(Http404):
        download_report(_request(rf, staff), "nope", 1, "en")
    with pytest.raises(Http404):
        download_report(_request(rf, staff), "sample", 0, "en")


def test_get_sample_rejects_out_of_range_ids():
    with pytest.raises(ObjectDoesNotExist):
        report_kinds.get_sample(report_kinds.SAMPLE_MAX_ID + 1)


@pytest.mark.django_db
def test_download_report_not_generated_yet_queues_and_answers_202(
    rf, settings, tmp_path, monkeypatch
):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    staff = _officer()
    queued = []
    monkeypatch.setattr(reports, "enqueue_report", lambda *args: queued.append(args))

    response = download_report(_request(rf, staff), "light", 3, "en")

    assert response.status_code == 202
    assert response["Retry-After"] == "10"
    assert '<meta http-equiv="refresh" content="10">' in response.content.decode()
    assert "报告尚未生成，正在生成中。" in response.content.decode()
    assert queued == [("light", 3, "en")]


@pytest.mark.django_db
def test_download_report_never_serves_a_copy_older_than_its_data(
    rf, settings, tmp_path, monkeypatch
):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    staff = _officer()
    version = {"v": "1"}
    register_report(
        "test_fresh",
        build=_build_light,
        get_object=report_kinds.get_sample,
        permission="organizations.manage_programme",
        fingerprint=lambda obj_id: version["v"],
    )
    try:
        generate_report.call("test_fresh", 5, "en")
        fresh = download_report(_request(rf, staff), "test_fresh", 5, "en")
        version["v"] = "2"
        queued = []
        monkeypatch.setattr(reports, "enqueue_report", lambda *args: queued.append(args))
        with translation.override("en"):
            stale = download_report(_request(rf, staff), "test_fresh", 5, "en")

        assert (fresh.status_code, fresh["Content-Type"]) == (200, "application/pdf")
        assert stale.status_code == 202
        assert stale["Content-Type"] == "text/html; charset=utf-8"
        assert "The data in this report has changed since it was last written" in (
            stale.content.decode()
        )
        assert queued == [("test_fresh", 5, "en")]
    finally:
        unregister_report("test_fresh")


def test_enqueue_report_queues_one_generation_per_report_at_a_time(monkeypatch):
    calls = []

    class QueuedTask:
        def get_backend(self):
            return SimpleNamespace(queues=["default", "reports"])

        def using(self, **kwargs):
            return self

        def enqueue(self, *args):
            calls.append(args)
            return "queued"

    monkeypatch.setattr(reports, "generate_report", QueuedTask())

    first = enqueue_report("light", 7, "en")
    second = enqueue_report("light", 7, "en")
    other_language = enqueue_report("light", 7, "zh-hans")
    forced = enqueue_report("light", 7, "en", force=True)
    reports.cache.delete(reports._queued_key("light", 7, "en"))
    after_the_task = enqueue_report("light", 7, "en")

    assert (first, second, other_language, forced, after_the_task) == (
        "queued",
        None,
        "queued",
        "queued",
        "queued",
    )
    assert calls == [
        ("light", 7, "en", False),
        ("light", 7, "zh-hans", False),
        ("light", 7, "en", True),
        ("light", 7, "en", False),
    ]


def test_start_report_batch_renders_zips_and_records_progress(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path

    batch_id = reports.start_report_batch(
        [("light", 1, "zh-hans"), ("light", 2, "en")], label="Call 7"
    )

    status = reports.batch_status(batch_id)
    assert status == {
        "state": "done",
        "done": 2,
        "total": 2,
        "label": "Call 7",
        "zip": f"{batch_id}.zip",
    }
    archive = zipfile.ZipFile(tmp_path / "reports" / "batches" / f"{batch_id}.zip")
    assert sorted(archive.namelist()) == ["light-1-zh-hans.pdf", "light-2-en.pdf"]


def test_start_report_batch_refuses_unknown_kind_before_queueing(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path

    with pytest.raises(UnknownReportKind):
        reports.start_report_batch([("light", 1, "en"), ("nope", 1, "en")])

    assert not (tmp_path / "reports" / "batches").exists()


def test_batch_status_rejects_malformed_ids():
    assert reports.batch_status("../../etc/passwd") is None


@pytest.mark.django_db
def test_download_report_batch_progress_then_zip(rf, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    staff = _officer()
    member = User.objects.create_user("member", password="x")
    batch_id = "0123456789abcdef0123456789abcdef"
    reports._write_status(batch_id, state="running", done=3, total=10, label="")

    running = reports.download_report_batch(_request(rf, staff), batch_id)
    with pytest.raises(PermissionDenied):
        reports.download_report_batch(_request(rf, member), batch_id)
    (tmp_path / "reports" / "batches" / f"{batch_id}.zip").write_bytes(b"PK\x05\x06" + b"\0" * 18)
    reports._write_status(batch_id, state="done", done=10, total=10, label="", zip="x")
    done = reports.download_report_batch(_request(rf, staff), batch_id)

    assert running.status_code == 202
    assert json.loads(running.content) == {"state": "running", "done": 3, "total": 10, "label": ""}
    assert done.status_code == 200
    assert done["Content-Type"] == "application/zip"
    assert done["Content-Disposition"] == 'attachment; filename="reports-01234567.zip"'
    with pytest.raises(Http404):
        reports.download_report_batch(_request(rf, staff), "f" * 32)


@pytest.mark.django_db
def test_bulk_generate_inside_a_transaction_stays_in_process(settings, tmp_path, monkeypatch):
    settings.PRIVATE_MEDIA_ROOT = tmp_path

    def no_pool(*args, **kwargs):
        raise AssertionError("forked inside a transaction")

    monkeypatch.setattr(reports, "ProcessPoolExecutor", no_pool)

    paths = bulk_generate([("light", 1, "en"), ("light", 2, "en")], workers=2)

    assert paths == [report_name("light", 1, "en"), report_name("light", 2, "en")]
    assert User.objects.count() == 0
