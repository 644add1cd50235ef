"""What every app's ``demo`` module shares: the demo password, the seeding context and
an idempotent page helper. The seeding order and the site shell are ``portal.demo``
(the site's top); app demos import only this module, so they stay below it."""

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from wagtail.models import Page

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - printed for demo logins on purpose


@dataclass
class DemoContext:
    size: str
    rng: random.Random
    log: Callable[[str], None]
    logins: list[tuple[str, str]] = field(default_factory=list)
    # Objects an app publishes for the apps seeded after it (e.g. "homes", "users").
    shared: dict = field(default_factory=dict)

    @property
    def large(self) -> bool:
        return self.size == "large"


def ensure_child(parent: Page, model, slug: str, **fields):
    """Create or update a published child page, idempotently.

    The translation key derives from the parent's key and the slug, so the same page
    created under each language's home becomes a translation of the others (the
    language switcher then links them)."""
    fields.setdefault("translation_key", uuid.uuid5(parent.translation_key, slug))
    existing = model.objects.child_of(parent).filter(slug=slug).first()
    if existing:
        changed = False
        for key, value in fields.items():
            if getattr(existing, key) != value:
                setattr(existing, key, value)
                changed = True
        if changed:
            existing.save_revision().publish()
        return existing
    page = model(slug=slug, **fields)
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page
