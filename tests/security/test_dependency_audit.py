"""scripts/pip_audit.py: fails the build only on a known vulnerability, warns (and
passes) when the advisory service cannot be reached or audits nothing."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(tmp_path, stdout: str, stderr: str = "", code: int = 0):
    fake = tmp_path / "fake-pip-audit"
    fake.write_text(
        f"#!{sys.executable}\nimport sys\nsys.stdout.write({stdout!r})\n"
        f"sys.stderr.write({stderr!r})\nsys.exit({code})\n",
        encoding="utf-8",
    )
    fake.chmod(0o755)
    env = {**os.environ, "PIP_AUDIT_BIN": str(fake)}
    return subprocess.run(
        [sys.executable, "scripts/pip_audit.py"],  # noqa: S603
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def _report(*deps):
    return json.dumps({"dependencies": list(deps), "fixes": []})


def test_vulnerability_fails_the_build(tmp_path):
    report = _report(
        {
            "name": "django",
            "version": "5.2.0",
            "vulns": [{"id": "PYSEC-2099-1", "fix_versions": ["5.2.1"]}],
        },
        {"name": "wagtail", "version": "8.0.1", "vulns": []},
    )

    result = _run(tmp_path, report, code=1)

    assert result.returncode == 1
    assert "VULNERABLE django 5.2.0: PYSEC-2099-1 (fixed in 5.2.1)" in result.stdout


def test_clean_audit_passes_and_says_how_many_were_checked(tmp_path):
    report = _report(
        {"name": "django", "version": "5.2.9", "vulns": []},
        {"name": "local-pkg", "version": "1", "skip_reason": "not on PyPI"},
    )

    result = _run(tmp_path, report)

    assert result.returncode == 0
    assert "1 packages audited against pypi, no known vulnerabilities (1 skipped)" in result.stdout


def test_nothing_audited_is_a_warning_not_a_pass(tmp_path):
    report = _report(
        {
            "name": "django",
            "version": "5.2.9",
            "skip_reason": "Dependency not found on PyPI and could not be audited",
        }
    )

    result = _run(tmp_path, report)

    assert result.returncode == 0
    assert result.stdout.startswith("WARNING: the pypi advisory service answered for none")


def test_unreachable_service_is_a_warning(tmp_path):
    result = _run(tmp_path, "", stderr="requests.exceptions.ConnectionError: timed out\n", code=1)

    assert result.returncode == 0
    assert "could not be reached (requests.exceptions.ConnectionError: timed out)" in result.stdout
