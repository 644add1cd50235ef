import time

from django.core.management.base import BaseCommand

from funding.services.inbox import pending_count, process_inbox


class Command(BaseCommand):
    help = (
        "Apply pending payment notifications from the webhook inbox (what the "
        "drain_inbox task does). Safe to run beside the task workers: batches are "
        "claimed with SKIP LOCKED. Schedule it every minute as a safety net, or run "
        "--loop as a dedicated worker."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=100)
        parser.add_argument(
            "--loop", action="store_true", help="keep polling (Ctrl-C or SIGTERM to stop)"
        )
        parser.add_argument("--interval", type=float, default=0.5, help="seconds between polls")

    def handle(self, *args, batch_size, loop, interval, **options):
        while True:
            result = process_inbox(batch_size=batch_size)
            if result.claimed or not loop:
                self.stdout.write(
                    f"applied {result.applied}, ignored {result.ignored}, "
                    f"failed {result.failed}, still pending {pending_count()}"
                )
            if not loop:
                return
            if not result.claimed:
                time.sleep(interval)
