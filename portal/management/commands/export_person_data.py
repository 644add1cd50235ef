"""``manage.py export_person_data USER [-o FILE]``: everything the portal holds about a
person, as JSON (USER = id, username or email). See docs/security.md."""

from django.core.management.base import BaseCommand, CommandError

from portal import privacy


class Command(BaseCommand):
    help = "Export everything stored about a person as JSON (USER = id, username or email)."

    def add_arguments(self, parser):
        parser.add_argument("user")
        parser.add_argument("-o", "--output", help="write to this file instead of stdout")

    def handle(self, *args, **options):
        try:
            user = privacy.find_user(options["user"])
        except LookupError as exc:
            raise CommandError(str(exc)) from exc
        text = privacy.export_json(user)
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8") as out:
                out.write(text + "\n")
            self.stderr.write(f"Wrote {options['output']}")
        else:
            self.stdout.write(text)
