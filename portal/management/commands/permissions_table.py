"""Print, write or check the roles → permissions table of docs/security.md.

The table is generated from the ``rules`` registry (every app's ``rules.py``), never
written by hand: ``manage.py permissions_table --write`` replaces the block between the
markers in docs/security.md, ``--check`` exits non-zero when the document differs from
the rules (tests/security/test_permission_doc.py runs the same comparison).

For each named permission of the portal's apps and each role (a Django group), a cell
says whether a user who holds only that role gets it for every object (``✓``), only
through a relation to the object or another condition named in the rule (``◐``), or
never (blank). The rule itself is printed as ``rules`` names it.
"""

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from rules.permissions import permissions

from organizations import roles
from organizations import rules as role_rules

APPS = ("organizations", "projects", "review", "funding", "delivery", "evaluation")
BEGIN = "<!-- permissions-table:begin (manage.py permissions_table --write) -->"
END = "<!-- permissions-table:end -->"
ROLE_PREDICATES = {
    roles.ADMINISTRATOR: role_rules.is_administrator,
    roles.PROGRAMME_OFFICER: role_rules.is_programme_officer,
    roles.REVIEWER: role_rules.is_reviewer,
    roles.EVALUATOR: role_rules.is_evaluator,
    roles.FINANCE_OFFICER: role_rules.is_finance_officer,
    roles.MENTOR: role_rules.is_mentor,
}


def _role_user(role: str):
    """An unsaved active user holding only ``role`` (no membership, no object)."""
    user = get_user_model()(username=f"doc-{role}", is_active=True)
    user._portal_role_names = {role}
    user._portal_verified_emails = set()
    return user


def _names(predicate_name: str) -> set[str]:
    for char in "()|&~^":
        predicate_name = predicate_name.replace(char, " ")
    return set(predicate_name.split())


def _cell(rule, role: str) -> str:
    if rule.test(_role_user(role), None):
        return "✓"
    mentioned = _names(rule.name)
    role_names = {ROLE_PREDICATES[role].name}
    role_names |= {name for name, held in role_rules.ROLE_RELATIONS.items() if held == role}
    if role in (roles.ADMINISTRATOR, roles.PROGRAMME_OFFICER):
        role_names.add("is_programme_staff")
    return "◐" if mentioned & role_names else ""


def permission_names() -> list[str]:
    return sorted(name for name in permissions if name.split(".", 1)[0] in APPS)


def generate_table() -> str:
    """The markdown table, one row per named permission, one column per role."""
    header = ["permission", *roles.ALL_ROLES, "rule"]
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    for name in permission_names():
        rule = permissions[name]
        cells = [_cell(rule, role) for role in roles.ALL_ROLES]
        expression = rule.name.replace("|", "\\|")
        lines.append(f"| `{name}` | " + " | ".join(cells) + f" | `{expression}` |")
    return "\n".join(lines)


def doc_path() -> Path:
    return Path(settings.BASE_DIR) / "docs" / "security.md"


def documented_table(text: str) -> str:
    """The block between the markers of docs/security.md."""
    try:
        start = text.index(BEGIN) + len(BEGIN)
        end = text.index(END, start)
    except ValueError as exc:
        raise CommandError(f"{doc_path()} has no permissions-table markers") from exc
    return text[start:end].strip()


class Command(BaseCommand):
    help = "Print the roles → permissions table; --write updates docs/security.md."

    def add_arguments(self, parser):
        parser.add_argument("--write", action="store_true", help="update docs/security.md")
        parser.add_argument("--check", action="store_true", help="fail if the doc differs")

    def handle(self, *args, write=False, check=False, **options):
        table = generate_table()
        path = doc_path()
        text = path.read_text(encoding="utf-8")
        current = documented_table(text)
        if check:
            if current != table:
                raise CommandError(
                    "docs/security.md's permissions table differs from the rules; "
                    "run manage.py permissions_table --write"
                )
            self.stdout.write("docs/security.md matches the rules.")
        elif write:
            start = text.index(BEGIN) + len(BEGIN)
            end = text.index(END, start)
            path.write_text(text[:start] + "\n" + table + "\n" + text[end:], encoding="utf-8")
            self.stdout.write(f"wrote {path}")
        else:
            self.stdout.write(table)
