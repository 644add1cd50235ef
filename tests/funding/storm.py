"""A webhook storm: signed Stripe events with duplicates, shuffled, some badly signed.

Shared by ``tests/funding/test_webhook_storm.py`` (300 events, CI) and
``bench/webhook_storm_bench.py`` (10,000 events). Events are signed with the real Stripe
scheme (``t=…,v1=HMAC_SHA256(secret, "t.payload")``, see ``stripe_fake.sign``) and posted
to ``/funding/stripe/webhook/`` through Django's test client.

Mix of ``n`` deliveries: 5 % badly signed (half tampered copies of good events, half
forged events for gifts that never get a good one), 30 % re-deliveries of good events,
the rest unique good events — ``checkout.session.completed`` for every gift and, for
one gift in twelve, a ``charge.refunded`` (half refunded) that may arrive before its
completion. The order is shuffled.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta

from .stripe_fake import WEBHOOK_SECRET, charge_obj, event, session_obj, sign

URL = "/funding/stripe/webhook/"


@dataclass
class Storm:
    deliveries: list[tuple[str, str, str]]  # (payload, signature, kind: good|dup|bad)
    donations: list  # gifts that receive good events
    forged_only: list  # gifts that only ever receive badly signed events
    refunds: dict[int, int] = field(default_factory=dict)  # donation id → refunded fen
    unique_events: int = 0


def setup_gifts(count: int, *, tag: str = "storm", pool_amount: int | None = None):
    """``count`` pending Stripe gifts to one live-matched call's projects (bulk insert),
    with a match pool holding about half the demand."""
    from django.utils import timezone

    from funding.enums import DonationSource, MatchingMode
    from funding.models import Donation
    from tests.factories.funding import (
        MatchedProjectFactory,
        MatchingRuleFactory,
        funded_pool,
        make_call,
    )

    call = make_call(f"{tag}-call")
    now = timezone.now()
    MatchingRuleFactory(
        call=call,
        mode=MatchingMode.LIVE,
        campaign_starts_at=now - timedelta(days=1),
        campaign_ends_at=now + timedelta(days=1),
    )
    from organizations.models import Organization
    from tests.factories.organizations import OrganizationFactory, make_credit_code

    # Unique natural keys per tag: the bench reuses one database across runs.
    code = make_credit_code(int(time.time() * 1000) % 10_000_000)
    org = Organization.objects.filter(credit_code=code).first() or OrganizationFactory(
        name=f"{tag} org", slug=f"{tag}-org", credit_code=code
    )
    projects = [
        MatchedProjectFactory(slug=f"{tag}-p{i}", call=call, organization=org) for i in range(8)
    ]
    rng = random.Random(7)
    gifts = Donation.objects.bulk_create(
        [
            Donation(
                project=projects[i % len(projects)],
                amount=rng.randrange(1, 50) * 1_000,
                source=DonationSource.STRIPE,
                external_id=f"cs_{tag}_{i}",
                donor_email=f"storm{i}@example.org",
                donor_name=f"风暴{i}",
            )
            for i in range(count)
        ],
        batch_size=1000,
    )
    if not all(g.pk for g in gifts):  # SQLite < 3.35 without RETURNING
        gifts = list(Donation.objects.filter(external_id__startswith=f"cs_{tag}_").order_by("pk"))
    demand = sum(g.amount for g in gifts)
    funded_pool(pool_amount if pool_amount is not None else demand // 2, call=call)
    return gifts


def build(n: int, gifts_factory, *, seed: int = 1, tag: str = "storm") -> Storm:
    """Plan ``n`` deliveries; creates the gifts it needs through ``gifts_factory(count)``."""
    rng = random.Random(seed)
    bad = n * 5 // 100
    dup = n * 30 // 100
    unique = n - bad - dup
    # unique = gifts + refunds, refunds = gifts // 12
    n_gifts = unique * 12 // 13
    n_refunds = unique - n_gifts
    forged_count = bad // 2
    all_gifts = gifts_factory(n_gifts + forged_count)
    gifts, forged_only = all_gifts[:n_gifts], all_gifts[n_gifts:]
    good: list[str] = []
    for i, gift in enumerate(gifts):
        good.append(
            event(
                f"evt_{tag}_done_{i}",
                "checkout.session.completed",
                session_obj(gift, session_id=gift.external_id),
            )
        )
    refunds = {}
    for j, gift in enumerate(rng.sample(gifts, n_refunds)):
        refunds[gift.pk] = gift.amount // 2
        good.append(
            event(
                f"evt_{tag}_refund_{j}",
                "charge.refunded",
                charge_obj(gift, amount_refunded=gift.amount // 2),
            )
        )
    # Good deliveries are signed when sent ("" here), as Stripe does: a signature older
    # than the 5-minute tolerance is refused as stale.
    deliveries = [(p, "", "good") for p in good]
    deliveries += [(p, "", "dup") for p in (rng.choice(good) for _ in range(dup))]
    for k in range(bad - forged_count):  # tampered: amount changed after signing
        original = rng.choice(good)
        signature = sign(original)
        deliveries.append(
            (
                original.replace('"amount_total": ', '"amount_total": 9', 1).replace(
                    '"amount_refunded": ', '"amount_refunded": 9', 1
                )
                if k % 2 == 0
                else original + " ",
                signature,
                "bad",
            )
        )
    for k, gift in enumerate(forged_only):  # signed with the wrong secret
        payload = event(
            f"evt_{tag}_forged_{k}",
            "checkout.session.completed",
            session_obj(gift, session_id=gift.external_id),
        )
        deliveries.append((payload, sign(payload, secret="whsec_attacker"), "bad"))
    rng.shuffle(deliveries)
    return Storm(
        deliveries=deliveries,
        donations=gifts,
        forged_only=forged_only,
        refunds=refunds,
        unique_events=len(good),
    )


def noop_deliveries(n: int, *, tag: str = "noop") -> list[tuple[str, str, str]]:
    """``n`` minimal signed events of a type we ignore (the baseline)."""
    out = []
    for i in range(n):
        payload = event(f"evt_{tag}_{i}", "ping.noop", {"id": f"x_{i}", "object": "ping"})
        out.append((payload, "", "good"))
    return out


def deliver(deliveries, *, workers: int = 1) -> tuple[float, dict]:
    """POST every delivery (an empty signature is made when sending) from ``workers``
    threads, each its own test client; returns the elapsed seconds and
    ``{(kind, status_code): count}``."""
    from django.db import connection
    from django.test import Client

    counts: dict = {}
    lock = threading.Lock()
    chunks = [deliveries[i::workers] for i in range(workers)]
    errors: list[str] = []

    def run(chunk):
        client = Client()
        local: dict = {}
        try:
            for payload, signature, kind in chunk:
                response = client.post(
                    URL,
                    data=payload,
                    content_type="application/json",
                    HTTP_STRIPE_SIGNATURE=signature or sign(payload),
                )
                local[(kind, response.status_code)] = local.get((kind, response.status_code), 0) + 1
        except Exception as exc:  # noqa: BLE001 - reported
            errors.append(repr(exc))
        finally:
            with lock:
                for key, value in local.items():
                    counts[key] = counts.get(key, 0) + value
            if workers > 1:
                connection.close()

    started = time.perf_counter()
    if workers == 1:
        run(chunks[0])
    else:
        threads = [threading.Thread(target=run, args=(c,)) for c in chunks]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    elapsed = time.perf_counter() - started
    if errors:
        counts[("error", 0)] = len(errors)
    return elapsed, counts


def verify(storm: Storm) -> list[str]:
    """Every good gift counted exactly once (with its refund), forged-only gifts untouched,
    each unique event stored once, ``reconcile`` clean. Returns the problems found."""
    from django.db.models import Sum

    from funding.enums import DonationStatus, TransactionKind
    from funding.models import Donation, InboundEvent, LedgerTransaction
    from funding.services.reconcile import reconcile

    problems = []
    ids = [g.pk for g in storm.donations]
    rows = dict(Donation.objects.filter(pk__in=ids).values_list("pk", "status"))
    not_counted = [pk for pk in ids if rows.get(pk) != DonationStatus.SUCCEEDED]
    if not_counted:
        problems.append(f"{len(not_counted)} good gifts not counted, e.g. {not_counted[:3]}")
    postings = LedgerTransaction.objects.filter(
        kind=TransactionKind.DONATION, donation_id__in=ids
    ).count()
    if postings != len(ids):
        problems.append(f"{postings} donation postings for {len(ids)} gifts")
    refunded = dict(
        Donation.objects.filter(pk__in=ids, refunded_amount__gt=0).values_list(
            "pk", "refunded_amount"
        )
    )
    if refunded != storm.refunds:
        problems.append(f"refunds {len(refunded)} differ from the {len(storm.refunds)} sent")
    forged = (
        Donation.objects.filter(pk__in=[g.pk for g in storm.forged_only])
        .exclude(status=DonationStatus.PENDING)
        .count()
    )
    if forged:
        problems.append(f"{forged} gifts changed by badly signed events")
    raised = Donation.objects.filter(pk__in=ids).aggregate(
        t=Sum("amount"), r=Sum("refunded_amount")
    )
    expected = (raised["t"] or 0) - (raised["r"] or 0)
    from funding.models import ProjectBalance

    balance = (
        ProjectBalance.objects.filter(project__donations__pk__in=ids)
        .distinct()
        .aggregate(t=Sum("raised"))["t"]
        or 0
    )
    if balance != expected:
        problems.append(f"projects raised {balance} != gifts net {expected}")
    stored = InboundEvent.objects.filter(
        provider="stripe", event_id__in=_event_ids(storm), status="applied"
    ).count()
    if stored != storm.unique_events:
        problems.append(f"{stored} events stored, expected {storm.unique_events}")
    report = reconcile()
    problems += [f"reconcile: {p}" for p in report.problems[:5]]
    return problems


def _event_ids(storm: Storm) -> list[str]:
    import json

    return list({json.loads(p)["id"] for p, _s, kind in storm.deliveries if kind == "good"})


__all__ = [
    "WEBHOOK_SECRET",
    "Storm",
    "build",
    "deliver",
    "noop_deliveries",
    "setup_gifts",
    "verify",
]
