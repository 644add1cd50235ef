"""Blind review (匿名评审): what a reviewer may see of an application.

One place decides it, for the score page, the reviewer's queue and anything else given
to reviewers (reports, exports): :func:`anonymise_application` returns the title and the
answers with the applying organization's identity removed — its name and short name, its
unified social credit code, its contact person, phone and email, people's names in the
team table — and every occurrence of those in the free text replaced by "某机构" /
"an organization" (in the active language).
Attachments and organization documents are never shown in a blind call (the views leave
them out; the download view refuses them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from projects.enums import ApplicationStep

# Answer keys that identify people or the organization; dropped from a blind copy.
CONTACT_KEYS = frozenset({"contact_name", "contact_phone", "contact_mobile", "contact_email"})
# Shorter than this, a "name" would match ordinary words; such strings are not masked.
MIN_MASKED_LENGTH = 2


@dataclass(frozen=True)
class BlindApplication:
    title: str
    answers: dict


def placeholder() -> str:
    """What replaces the organization's identity, in the active language."""
    return _("an organization")


def identifying_strings(organization) -> list[str]:
    """The organization's names, code and contacts as they could appear in text,
    longest first (so a full name is masked before a part of it)."""
    values = {
        getattr(organization, field, "") or ""
        for field in (
            "name",
            "short_name",
            "credit_code",
            "contact_name",
            "contact_mobile",
            "contact_email",
        )
    }
    name = organization.name or ""
    # Common short forms: the name without its legal-form suffix (e.g. 阳光社工服务中心 →
    # 阳光社工), so "阳光社工的志愿者" is masked too.
    for suffix in ("服务中心", "促进会", "协会", "基金会", "中心", "社"):
        if name.endswith(suffix) and len(name) - len(suffix) >= 2 * MIN_MASKED_LENGTH:
            values.add(name[: -len(suffix)])
    return sorted(
        (v.strip() for v in values if len(v.strip()) >= MIN_MASKED_LENGTH),
        key=len,
        reverse=True,
    )


def mask_text(text: str, names: list[str]) -> str:
    """``text`` with every occurrence of ``names`` (case-insensitive) replaced by the
    placeholder."""
    if not text or not names:
        return text
    longest_first = sorted(names, key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(n) for n in longest_first), re.IGNORECASE)
    return pattern.sub(placeholder(), text)


def _mask(value: Any, names: list[str]) -> Any:
    if isinstance(value, str):
        return mask_text(value, names)
    if isinstance(value, list):
        return [_mask(v, names) for v in value]
    if isinstance(value, dict):
        return {k: _mask(v, names) for k, v in value.items() if k not in CONTACT_KEYS}
    return value


def anonymise_answers(answers: dict, organization) -> dict:
    """A copy of an application's answers for a blind reviewer: contact fields dropped,
    people's names in the team table replaced by "—", and the organization's names,
    credit code and contacts masked wherever they occur in the text."""
    answers = dict(answers or {})
    team = answers.get(ApplicationStep.TEAM)
    if isinstance(team, dict) and isinstance(team.get("lines"), list):
        answers[ApplicationStep.TEAM] = {
            **team,
            "lines": [
                {**line, "name": "—"} if isinstance(line, dict) else line for line in team["lines"]
            ],
        }
    return _mask(answers, identifying_strings(organization))


def anonymise_application(application) -> BlindApplication:
    """The application's title and answers as a blind reviewer sees them (see module)."""
    names = identifying_strings(application.organization)
    return BlindApplication(
        title=mask_text(application.title or "", names),
        answers=anonymise_answers(application.answers, application.organization),
    )
