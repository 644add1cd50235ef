from django.core.management.base import BaseCommand, CommandError

from funding.services.reconcile import reconcile


class Command(BaseCommand):
    help = (
        "Check every ledger invariant; print a summary; exit 1 on any discrepancy. "
        "With --sync-providers, first ask the payment providers about every gift still "
        "awaiting payment (late notifications) and every refund request still without an "
        "answer, and apply the answers."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--sync-providers",
            action="store_true",
            help="query WeChat Pay / Alipay orders of pending gifts and unreported refunds "
            "before checking",
        )

    def handle(self, *args, **options):
        if options["sync_providers"]:
            from funding.services.inbox import process_inbox
            from funding.services.provider_sync import sync_pending, sync_refund_requests

            synced = sync_pending()
            refunds = sync_refund_requests()
            process_inbox()
            self.stdout.write(
                f"providers asked about {synced.asked} pending gifts: "
                f"{synced.stored} new answers, {synced.errors} errors"
            )
            self.stdout.write(
                f"providers asked about {refunds.asked} unreported refunds: "
                f"{refunds.stored} new answers, {refunds.errors} errors"
            )
        report = reconcile()
        for key, value in report.summary.items():
            self.stdout.write(f"{key}: {value}")
        if report.ok:
            self.stdout.write(self.style.SUCCESS("reconcile: OK, no discrepancies"))
            return
        for problem in report.problems:
            self.stderr.write(problem)
        raise CommandError(f"reconcile: {len(report.problems)} discrepancies", returncode=1)
