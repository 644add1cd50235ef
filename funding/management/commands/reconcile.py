from django.core.management.base import BaseCommand, CommandError

from funding.services.reconcile import reconcile


class Command(BaseCommand):
    help = "Check every ledger invariant; print a summary; exit 1 on any discrepancy."

    def handle(self, *args, **options):
        report = reconcile()
        for key, value in report.summary.items():
            self.stdout.write(f"{key}: {value}")
        if report.ok:
            self.stdout.write(self.style.SUCCESS("reconcile: OK, no discrepancies"))
            return
        for problem in report.problems:
            self.stderr.write(problem)
        raise CommandError(f"reconcile: {len(report.problems)} discrepancies", returncode=1)
