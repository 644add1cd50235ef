from django.core.management.base import BaseCommand, CommandError

from funding.errors import InvalidTransition
from funding.services.settlement import commit_settlement, plan_settlement
from portal.core.money import format_fen
from projects.models import CallPage


def find_call(value: str) -> CallPage:
    qs = CallPage.objects.all()
    call = qs.filter(pk=int(value)).first() if value.isdigit() else None
    call = call or qs.filter(slug=value).order_by("pk").first()
    if call is None:
        raise CommandError(f"no call with id or slug {value!r}")
    return call


class Command(BaseCommand):
    help = "Post-campaign matching for CALL (id or slug); prints the table; --commit writes once."

    def add_arguments(self, parser):
        parser.add_argument("call")
        parser.add_argument("--commit", action="store_true")

    def handle(self, *args, call, commit, **options):
        call_page = find_call(call)
        try:
            plan = plan_settlement(call=call_page)
            if commit:
                settlement, created = commit_settlement(call=call_page)
        except InvalidTransition as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{'project':<40} {'rank':>5} {'tier':>9} {'ratio':>9} "
            f"{'eligible':>16} {'uncapped':>16} {'match':>16}"
        )
        for row in plan.rows:
            rank = str(row.rank) if row.rank is not None else "—"
            self.stdout.write(
                f"{row.project.slug:<40} {rank:>5} {row.tier_label:>9} "
                f"{row.ratio_label:>9} {format_fen(row.eligible):>16} "
                f"{format_fen(row.uncapped):>16} {format_fen(row.amount):>16}"
            )
        self.stdout.write(
            f"total {format_fen(plan.total)} of needed {format_fen(plan.needed)}; "
            f"pools hold {format_fen(plan.available)}" + ("; pro-rata" if plan.is_pro_rata else "")
        )
        if not commit:
            self.stdout.write("dry run: nothing written (use --commit)")
        elif created:
            self.stdout.write(self.style.SUCCESS(f"committed settlement {settlement.pk}"))
        else:
            self.stdout.write(f"already committed (settlement {settlement.pk}); nothing written")
