"""`render_report KIND ID -o FILE.pdf [--language zh-hans|en]` (CONTRACT.md)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from portal.core.reports import LANGUAGES, ReportError, render_report, report_kinds


class Command(BaseCommand):
    help = (
        "Render one PDF report to a file. KIND is one of the registered report kinds "
        "(application, call, project, incubation, receipt once their apps register them)."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", help="report kind, e.g. project")
        parser.add_argument("obj_id", metavar="ID", type=int, help="id of the object")
        parser.add_argument("-o", "--output", required=True, help="PDF file to write")
        parser.add_argument("--language", default="zh-hans", choices=LANGUAGES)

    def handle(self, *args, kind, obj_id, output, language, **options):
        try:
            pdf = render_report(kind, obj_id, language)
        except ReportError as exc:
            raise CommandError(str(exc)) from exc
        path = Path(output)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pdf)
        with translation.override(language):
            label = str(report_kinds()[kind].label)
        self.stdout.write(f"{path} ({len(pdf):,} bytes, {label}, {language})")
