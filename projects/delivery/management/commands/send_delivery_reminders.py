"""``send_delivery_reminders``: remind organizations of overdue milestones and reports.

Safe to run several times a day: each reminder goes out at most once per day."""

from django.core.management.base import BaseCommand

from projects.delivery.tasks import send_delivery_reminders


class Command(BaseCommand):
    help = "Email organizations about overdue milestones and progress reports (once a day)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="queue the task for the worker instead of running it now",
        )

    def handle(self, *args, enqueue=False, **options):
        if enqueue:
            send_delivery_reminders.enqueue()
            self.stdout.write("Reminder task queued.")
            return
        sent = send_delivery_reminders.call()
        self.stdout.write(f"{sent} reminder(s) sent.")
