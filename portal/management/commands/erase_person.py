"""``manage.py erase_person USER [--yes]``: pseudonymise a person (USER = id, username
or email); ledger rows and amounts are kept. See docs/security.md."""

from django.core.management.base import BaseCommand, CommandError

from portal import privacy


class Command(BaseCommand):
    help = (
        "Pseudonymise a person: account, donor names, emails, receipt details. "
        "Ledger entries and amounts are kept. Refuses while the person has open duties."
    )

    def add_arguments(self, parser):
        parser.add_argument("user")
        parser.add_argument(
            "--yes",
            action="store_true",
            help="erase without asking (otherwise only reports what blocks it)",
        )

    def handle(self, *args, **options):
        try:
            user = privacy.find_user(options["user"])
        except LookupError as exc:
            raise CommandError(str(exc)) from exc
        reasons = privacy.erasure_refusals(user)
        if reasons:
            raise CommandError("Cannot erase this person yet:\n- " + "\n- ".join(reasons))
        if not options["yes"]:
            raise CommandError(
                f"This pseudonymises user #{user.pk} for good; run again with --yes to do it."
            )
        user_id = user.pk
        counts = privacy.erase_person(user)
        summary = ", ".join(f"{k}: {v}" for k, v in counts.items())
        self.stdout.write(f"Erased user #{user_id} (now erased-{user_id}). {summary}")
