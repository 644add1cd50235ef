# ruff: noqa: T201 - a command-line tool
"""Dependency audit for ``make audit`` / ``make test`` (see docs/security.md).

Runs pip-audit on the pinned ``requirements.lock`` against PyPI's advisory data (the
OSV service is often unreachable from build machines). Exit status:

* 1 when a pinned package has a known vulnerability (the build fails);
* 0 with a clear WARNING when the advisory service cannot be reached or could audit
  nothing (offline mirrors answer "not found" for every package), so an offline build
  is not mistaken for a clean one, and not failed either;
* 0 when every package was audited and none is vulnerable.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVICE = os.environ.get("PIP_AUDIT_SERVICE", "pypi")
TIMEOUT = int(os.environ.get("PIP_AUDIT_TIMEOUT", "600"))


def main() -> int:
    pip_audit = os.environ.get("PIP_AUDIT_BIN") or str(Path(sys.executable).with_name("pip-audit"))
    command = [
        pip_audit,
        "-r",
        str(ROOT / "requirements.lock"),
        "--no-deps",
        "--disable-pip",
        "--vulnerability-service",
        SERVICE,
        "--format",
        "json",
        "--progress-spinner",
        "off",
        "--timeout",
        "20",
    ]
    try:
        result = subprocess.run(  # noqa: S603
            command,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        print(f"WARNING: dependency audit did not run ({exc}); nothing was checked.")
        return 0
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        print(
            f"WARNING: the {SERVICE} advisory service could not be reached ({last}); "
            "dependencies were NOT audited."
        )
        return 0
    dependencies = report.get("dependencies", [])
    vulnerable = [d for d in dependencies if d.get("vulns")]
    audited = [d for d in dependencies if "skip_reason" not in d]
    skipped = len(dependencies) - len(audited)
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions") or []) or "no fix yet"
            print(f"VULNERABLE {dep['name']} {dep['version']}: {vuln['id']} (fixed in {fixes})")
    if vulnerable:
        print(f"{len(vulnerable)} vulnerable package(s); update requirements.lock.")
        return 1
    if not audited:
        print(
            f"WARNING: the {SERVICE} advisory service answered for none of the "
            f"{len(dependencies)} pinned packages (offline or a mirror without advisory "
            "data); dependencies were NOT audited."
        )
        return 0
    print(
        f"pip-audit: {len(audited)} packages audited against {SERVICE}, no known "
        f"vulnerabilities ({skipped} skipped)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
