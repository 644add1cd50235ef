"""The import-linter contract names every module of ``portal`` and ``projects``.

The layers contract in pyproject.toml lists the site-top modules of ``portal`` and the
selection modules of ``projects`` one by one (``projects.delivery`` and
``projects.evaluation`` sit in higher layers than their parent package, so the package
itself cannot be a layer). A module missing from the list would escape the contract.
"""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _contract_modules() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (contract,) = [c for c in config["contracts"] if c["id"] == "layers"]
    names = set()
    for layer in contract["layers"]:
        names.update(part.strip() for part in layer.replace("|", ":").split(":"))
    return names


def _children(package: str) -> set[str]:
    folder = ROOT / package
    names = {p.stem for p in folder.glob("*.py") if p.stem != "__init__"}
    names |= {p.parent.name for p in folder.glob("*/__init__.py")}
    return {f"{package}.{name}" for name in names}


def test_layers_contract_names_every_module_of_portal_and_projects():
    listed = _contract_modules()

    missing = (_children("portal") | _children("projects")) - listed

    assert missing == set()


def test_layers_contract_lists_no_module_that_does_not_exist():
    existing = _children("portal") | _children("projects") | {"funding", "organizations"}

    assert _contract_modules() - existing == set()
