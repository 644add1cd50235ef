"""``remind_reviewers [--call ID]``: email reviewers who still have reviews to do."""

from django.core.management.base import BaseCommand

from projects.review.tasks import send_reviewer_reminders


class Command(BaseCommand):
    help = "Email every reviewer with outstanding reviews (optionally for one call)."

    def add_arguments(self, parser):
        parser.add_argument("--call", type=int, default=None, help="call page id")

    def handle(self, *args, call=None, **options):
        sent = send_reviewer_reminders.call(call_id=call)
        self.stdout.write(f"{sent} reminder(s) sent.")
