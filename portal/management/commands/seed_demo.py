from io import StringIO

from django.core import mail
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection
from django.test.utils import override_settings

from portal.core.demo import DEMO_PASSWORD
from portal.demo import seed_all

# The demo's own notifications (donors' thank-you mail, delivery and evaluation notices)
# are kept in memory and counted, not printed by the console backend or sent.
LOCMEM_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


class Command(BaseCommand):
    help = "Load deterministic, idempotent demo data (small for demos, large for benchmarks)."

    def add_arguments(self, parser):
        parser.add_argument("--size", choices=["small", "large"], default="small")
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, size, seed, **options):
        had_outbox = hasattr(mail, "outbox")
        saved_outbox = list(getattr(mail, "outbox", []))
        mail.outbox = []
        try:
            with override_settings(EMAIL_BACKEND=LOCMEM_BACKEND):
                ctx = seed_all(size=size, seed=seed, log=lambda msg: self.stdout.write(msg))
            kept = len(mail.outbox)
            # Index everything for search now: saves only queue index tasks for the
            # worker, and bulk-created rows queue none.
            call_command("update_index", verbosity=0, stdout=StringIO())
            # Table statistics for the query planner. Without them SQLite joins the
            # full-text table in the wrong order: 190 ms instead of 0.4 ms for a keyword
            # at 10,000 projects (docs/search.md).
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        finally:
            if had_outbox:
                mail.outbox = saved_outbox
            else:
                del mail.outbox
        self.stdout.write(f"mail: {kept} demo e-mails kept in memory (not sent or printed)")
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for role, username in ctx.logins:
            self.stdout.write(f"  {role:<22} {username}")
