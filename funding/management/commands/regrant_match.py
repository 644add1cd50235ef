from django.core.management.base import BaseCommand

from funding.management.commands.settle_matching import find_call
from funding.services.regrant import regrant_released_match
from portal.core.money import format_fen


class Command(BaseCommand):
    help = "After a live campaign, re-grant released match to unmatched gifts (if the rule allows)."

    def add_arguments(self, parser):
        parser.add_argument("call")

    def handle(self, *args, call, **options):
        granted = regrant_released_match(call=find_call(call))
        self.stdout.write(f"re-granted {format_fen(granted)}")
