from django.core.management.base import BaseCommand

from funding.services.matching import expire_reservations


class Command(BaseCommand):
    help = "Release expired match reservations (run every minute; safe concurrently)."

    def handle(self, *args, **options):
        total = 0
        while True:
            touched = expire_reservations()
            total += touched
            if touched == 0:
                break
        self.stdout.write(f"released reservations of {total} donations")
