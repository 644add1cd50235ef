from django.core.management.base import BaseCommand

from portal.demo import DEMO_PASSWORD, seed_all


class Command(BaseCommand):
    help = "Load deterministic, idempotent demo data (small for demos, large for benchmarks)."

    def add_arguments(self, parser):
        parser.add_argument("--size", choices=["small", "large"], default="small")
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, size, seed, **options):
        ctx = seed_all(size=size, seed=seed, log=lambda msg: self.stdout.write(msg))
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for role, username in ctx.logins:
            self.stdout.write(f"  {role:<22} {username}")
