"""``remind_drafts``: remind organizations of unfinished drafts before calls close."""

from django.core.management.base import BaseCommand

from projects.reminders import send_draft_reminders


class Command(BaseCommand):
    help = (
        "Remind organizations with a draft in a call closing within 7 days (and within "
        "1 day); never twice for the same draft and threshold. Run it daily."
    )

    def handle(self, *args, **options):
        sent = send_draft_reminders()
        self.stdout.write(f"{sent} draft reminder(s) sent.")
