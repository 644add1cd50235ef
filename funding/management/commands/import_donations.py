from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from funding.services.imports import SOURCES, ImportRejected, commit_import


class Command(BaseCommand):
    help = "Import donation records (CSV/XLSX) from a fundraising platform; all or nothing."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--source", required=True, choices=sorted(SOURCES))

    def handle(self, *args, file, source, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"no such file: {file}")
        try:
            batch = commit_import(content=path.read_bytes(), source=source, file_name=path.name)
        except ImportRejected as exc:
            for line, reason in exc.errors:
                self.stderr.write(f"row {line}: {reason}")
            raise CommandError(f"rejected: {len(exc.errors)} bad rows; nothing imported") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"imported {batch.created_count} donations, skipped {batch.skipped_count} "
                f"already imported; batch {batch.pk} awaits a second finance officer's "
                f"approval (admin: Funding > Donations > Import donations)"
            )
        )
