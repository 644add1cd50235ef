"""``rank_call CALL``: compute and store a call's ranking and print it (see CONTRACT.md)."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from projects.models import Application, CallPage
from projects.review import selectors, services


class Command(BaseCommand):
    help = "Compute and store the ranking of a call (CALL = page id or slug)."

    def add_arguments(self, parser):
        parser.add_argument("call", help="call page id or slug")

    def handle(self, *args, call, **options):
        qs = CallPage.objects.filter(review_settings__isnull=False)
        page = qs.filter(pk=int(call)).first() if call.isdigit() else None
        if page is None:
            matches = list(qs.filter(slug=call)[:2])
            if len(matches) > 1:
                raise CommandError(f"Several calls have the slug {call!r}; use the id.")
            page = matches[0] if matches else None
        if page is None:
            raise CommandError(f"No call with review settings matches {call!r}.")
        try:
            entries = services.rank_call(call=page)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        titles = dict(Application.objects.filter(call=page).values_list("pk", "title"))
        out = [f"{'rank':>5}  {'application':<40}  {'normalised':>10}  tier"]
        for e in entries:
            label = f"#{e.application_id} {titles.get(e.application_id) or ''}"[:40]
            out.append(f"{e.rank:>5}  {label:<40}  {e.normalised:>10.4f}  {e.tier}")
        ranked = {e.application_id for e in entries}
        for row in selectors.review_coverage(page):
            if row.application_id not in ranked:
                label = f"#{row.application_id} {row.title}"[:40]
                out.append(
                    f"{'-':>5}  {label:<40}  {'':>10}  "
                    f"not ranked: insufficient reviews ({row.done}/{row.required})"
                )
        self.stdout.write("\n".join(out))
        self.stdout.write(f"{len(entries)} applications ranked in {page.title}.")
