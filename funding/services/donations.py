"""Donation lifecycle: create, pay (any provider), fail/expire, refund, dispute, offline."""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from organizations.roles import FINANCE_OFFICER, has_role

from ..enums import (
    ONLINE_SOURCES,
    AccountKind,
    DisputeStatus,
    DonationSource,
    DonationStatus,
    TransactionKind,
)
from ..errors import DuplicateReference, FourEyesViolation, InvalidTransition
from ..models import Donation, OfflinePledge, ProviderRefund, Receipt
from . import batching
from .guards import refuse_closed_project
from .ledger import account_for, post_transaction, project_account
from .matching import confirm_locked, confirm_match, release_match, reverse_match
from .thanks import thank_donor


def _locked(donation: Donation) -> Donation:
    return (
        Donation.objects.select_for_update(of=("self",))
        .select_related("project")
        .get(pk=donation.pk)
    )


def limits() -> dict:
    return {
        "min": getattr(settings, "FUNDING_MIN_DONATION", 100),
        "max": getattr(settings, "FUNDING_MAX_DONATION", 50_000_000),
        "per_ip": getattr(settings, "FUNDING_VELOCITY_PER_IP", 10),
        "per_email": getattr(settings, "FUNDING_VELOCITY_PER_EMAIL", 5),
        "window": timedelta(minutes=getattr(settings, "FUNDING_VELOCITY_MINUTES", 10)),
    }


def check_velocity(*, ip: str | None, email: str, now: datetime) -> str:
    """Return a reason if this IP or email started more checkouts than a person could."""
    lim = limits()
    recent = Donation.objects.filter(
        created_at__gte=now - lim["window"],
        source__in=ONLINE_SOURCES,
    )
    if ip and recent.filter(ip_address=ip).count() >= lim["per_ip"]:
        return "velocity: too many checkouts from this IP address"
    if email and recent.filter(donor_email__iexact=email).count() >= lim["per_email"]:
        return "velocity: too many checkouts for this email"
    return ""


def flag_for_review(*, ip: str | None, email: str, now: datetime, reason: str) -> int:
    """The velocity limit tripped: flag the earlier online gifts in the window from the
    same IP address or email for finance review (whatever their status). Commits on its
    own (the refused checkout that triggered it is not stored). Audit-logged per gift.
    Returns how many gifts were newly flagged."""
    lim = limits()
    same = Q()
    if ip:
        same |= Q(ip_address=ip)
    if email:
        same |= Q(donor_email__iexact=email)
    if not same:
        return 0
    with transaction.atomic():
        gifts = list(
            Donation.objects.select_for_update()
            .filter(
                same,
                created_at__gte=now - lim["window"],
                needs_review=False,
                source__in=ONLINE_SOURCES,
            )
            .order_by("pk")
        )
        Donation.objects.filter(pk__in=[g.pk for g in gifts]).update(
            needs_review=True, review_reason=reason[:300]
        )
        for gift in gifts:
            log(instance=gift, action="funding.review_flagged", data={"reason": reason})
    return len(gifts)


@transaction.atomic
def mark_reviewed(*, donation: Donation, by) -> Donation:
    """Finance staff looked at a gift flagged for review. Audit-logged."""
    if not has_role(by, FINANCE_OFFICER):
        raise FourEyesViolation("only finance officers review donations")
    donation = Donation.objects.select_for_update().get(pk=donation.pk)
    if not donation.needs_review:
        raise InvalidTransition("donation is not flagged for review")
    donation.needs_review = False
    donation.save(update_fields=["needs_review"])
    log(
        instance=donation,
        action="funding.review_cleared",
        user=by,
        data={"reason": donation.review_reason},
    )
    return donation


def create_online_donation(
    *,
    project,
    amount: int,
    source: str,
    donor_name: str = "",
    donor_email: str = "",
    user=None,
    message: str = "",
    anonymity: str = "none",
    dedication: str = "",
    receipt_requested: bool = False,
    receipt_name: str = "",
    receipt_address: str = "",
    ip: str | None = None,
    currency: str | None = None,
    language: str = "",
) -> Donation:
    """Create a PENDING donation for an online checkout (``language``: the interface
    language the donor is using, which the thank-you mail is written in).

    Raises ``ProjectClosedToMoney`` for a project that is closed, terminated or not yet
    agreed, ``ValidationError`` outside the configured min/max amount or when the IP or
    email exceeds the velocity limit (the refused attempt is not stored; the earlier gifts
    of that IP / email in the window are flagged for finance review).
    """
    refuse_closed_project(project)
    lim = limits()
    if amount < lim["min"] or amount > lim["max"]:
        raise ValidationError(
            _("The amount must be between %(min)s and %(max)s yuan.")
            % {"min": lim["min"] // 100, "max": lim["max"] // 100}
        )
    reason = check_velocity(ip=ip, email=donor_email, now=timezone.now())
    if reason:
        flag_for_review(ip=ip, email=donor_email, now=timezone.now(), reason=reason)
        raise ValidationError(
            _("Too many donation attempts. Please try again later."), code="velocity"
        )
    return Donation.objects.create(
        project=project,
        amount=amount,
        source=source,
        currency=currency or (project.currency if project else settings.DEFAULT_CURRENCY),
        donor_name=donor_name,
        donor_email=donor_email,
        user=user,
        message=message,
        anonymity=anonymity,
        dedication=dedication,
        receipt_requested=receipt_requested,
        receipt_name=receipt_name,
        receipt_address=receipt_address,
        ip_address=ip,
        language=_known_language(language),
    )


def _known_language(language: str) -> str:
    """``language`` when the site offers it (``zh-hans``, ``en``), else ""."""
    return language if language in dict(settings.LANGUAGES) else ""


def _after_counted(donation: Donation) -> None:
    """Every counted gift gets its receipt record (declined when not asked for or
    anonymous); the donor is thanked with their private link (e-mail, queued). Inside
    an inbox batch that collects postings, both are written in the batch's tail."""
    from .receipts import issue_receipt

    batch = batching.current()
    if batch is not None:
        batch.counted.append(donation)
        return
    receipt = issue_receipt(donation=donation)
    if donation.donor_email:
        thank_donor(donation, receipt)


def _donation_accounts(donation: Donation):
    """(clearing, project fund) accounts of a gift, created on first use."""
    clearing = account_for(
        kind=AccountKind.CLEARING, currency=donation.currency, provider=donation.source
    )
    return clearing, project_account(donation.project, donation.currency)


def _post_donation(donation: Donation, accounts=None) -> None:
    clearing, fund = accounts or _donation_accounts(donation)
    post_transaction(
        kind=TransactionKind.DONATION,
        idempotency_key=f"donation:{donation.pk}",
        currency=donation.currency,
        legs=[(clearing, -donation.amount), (fund, donation.amount)],
        donation=donation,
    )


def count_gift(donation: Donation, *, at: datetime) -> None:
    """Count a gift that is already SUCCEEDED in this transaction: grant its match
    (rule → project → pools) and post it (balance row), in the global lock order."""
    _count(donation, at=at)


def _count(donation: Donation, *, at: datetime, locked: bool = False) -> None:
    """Post a counted gift and grant its match.

    Match first: a fresh reservation (late payment, offline gift) locks the project row
    and the pools, and posting to the project's fund locks its ``ProjectBalance`` row;
    every path takes project → pools → balance in that order, so no two transactions
    wait on each other in a cycle. The accounts are looked up (created on first use)
    before any of those locks: a first-use insert makes concurrent first users wait for
    this transaction, which must then not wait for them.
    """
    accounts = _donation_accounts(donation)
    if locked:  # the caller holds the gift's row lock and loaded its project
        confirm_locked(donation=donation, at=at)
    else:
        confirm_match(donation=donation, at=at)
    _post_donation(donation, accounts)


@transaction.atomic(savepoint=False)
def mark_succeeded(
    *,
    donation: Donation,
    amount_received: int,
    currency: str,
    payment_intent: str = "",
    at: datetime | None = None,
) -> Donation:
    """Record that the money arrived; count it and convert held match into granted match.

    Idempotent (a second call changes nothing). Works after expiry too: a late payment
    counts and gets whatever match is left. If the amount or currency differs from what
    the donation expected, the donation is flagged with the reason, its amount set to what
    arrived, and it is neither counted nor matched until staff clear it.
    """
    return _succeed(
        _locked(donation),
        amount_received=amount_received,
        currency=currency,
        payment_intent=payment_intent,
        at=at or timezone.now(),
    )


def _succeed(
    donation: Donation, *, amount_received: int, currency: str, payment_intent: str, at: datetime
) -> Donation:
    """:func:`mark_succeeded` for a gift whose row lock the caller holds (read with its
    project under that lock)."""
    if donation.status == DonationStatus.SUCCEEDED:
        return donation
    if donation.status not in (
        DonationStatus.PENDING,
        DonationStatus.EXPIRED,
        DonationStatus.FAILED,
    ):
        raise InvalidTransition(f"cannot succeed from {donation.status}")
    fields = ["status", "received_at"]
    if payment_intent:
        donation.payment_intent = payment_intent
        fields.append("payment_intent")
    donation.status = DonationStatus.SUCCEEDED
    donation.received_at = at
    if amount_received != donation.amount or currency.upper() != donation.currency:
        donation.flagged = True
        donation.flag_reason = (
            f"amount mismatch: expected {donation.amount} "
            f"{donation.currency}, received {amount_received} "
            f"{currency.upper()}"
        )[:300]
        donation.amount = amount_received
        donation.currency = currency.upper()
        fields += ["flagged", "flag_reason", "amount", "currency"]
        donation.save(update_fields=fields)
        release_match(donation=donation)
        return donation
    donation.save(update_fields=fields)
    _count(donation, at=at, locked=True)
    _after_counted(donation)
    return donation


def _find_by_payment(*, source: str, checkout_id: str = "", transaction_id: str = ""):
    """The gift (or recorded second payment) this provider payment belongs to, if any.

    Only the provider's own references identify a payment: the checkout session /
    order id first, then the payment intent / transaction id. Never the gift id echoed
    in metadata: a second payment for one gift carries the same metadata.
    """
    gifts = Donation.objects.select_related("project")
    if checkout_id:
        found = gifts.filter(source=source, import_source="", external_id=checkout_id).first()
        if found is not None:
            return found
    if transaction_id:
        return gifts.filter(source=source, payment_intent=transaction_id).first()
    return None


@transaction.atomic(savepoint=False)
def record_payment(
    *,
    source: str,
    donation_id: int | None,
    checkout_id: str,
    transaction_id: str,
    amount: int,
    currency: str,
    at: datetime,
) -> tuple[Donation | None, str]:
    """A provider says money arrived for one payment; make it exactly one gift.

    - a payment already known (by session or payment intent) is applied to its own row
      (idempotent: a second delivery changes nothing);
    - an unknown payment for a gift (named by the metadata) that has no payment yet
      becomes that gift's payment (an earlier session of the same gift counts too);
    - an unknown payment for a gift that was **already paid by another payment** is
      recorded as its own donation row, ``duplicate_of`` the gift, flagged "refund
      it", never counted or matched, audit-logged (``funding.duplicate_payment``) —
      the money is never lost and the kept gift is untouched.

    Locks the gift row first. Returns ``(row, outcome)``; ``(None, "unknown payment")``
    when neither the payment nor the gift is ours. Raises ``InvalidTransition`` for a
    gift that cannot receive money (e.g. an offline gift).
    """
    known = _find_by_payment(source=source, checkout_id=checkout_id, transaction_id=transaction_id)
    if known is not None:
        gift = known
    else:
        gift = Donation.objects.select_related("project").filter(source=source, pk=donation_id)
        gift = gift.first()
        if gift is None or gift.duplicate_of_id:
            return None, "unknown payment"
    batch = batching.current()
    if batch is None or gift.pk not in batch.donation_ids:
        gift = _locked(gift)
        # Under the lock: a concurrent delivery may have recorded this payment meanwhile.
        known = _find_by_payment(
            source=source, checkout_id=checkout_id, transaction_id=transaction_id
        )
    # (In an inbox batch the lock pass locked every gift this payment names before
    # the lookup above, so that lookup already ran under the lock.)
    if known is not None and known.pk != gift.pk:
        return known, "duplicate payment already recorded"
    owns = known is not None or _may_adopt(gift, checkout_id, transaction_id)
    if not owns:
        return _record_second_payment(
            gift,
            checkout_id=checkout_id,
            transaction_id=transaction_id,
            amount=amount,
            currency=currency,
            at=at,
        ), "duplicate payment flagged for refund"
    if gift.status == DonationStatus.SUCCEEDED:  # a re-delivery of this payment
        return gift, "flagged" if gift.flagged else "succeeded"
    if checkout_id and gift.external_id != checkout_id:
        gift.external_id = checkout_id
        gift.save(update_fields=["external_id"])
    gift = _succeed(
        gift, amount_received=amount, currency=currency, payment_intent=transaction_id, at=at
    )
    return gift, "flagged" if gift.flagged else "succeeded"


def _may_adopt(gift: Donation, checkout_id: str, transaction_id: str) -> bool:
    """Whether an unknown payment may become ``gift``'s payment: the gift awaits (or
    lost) its payment and no other payment intent is on it yet."""
    if gift.status == DonationStatus.SUCCEEDED:
        return False
    if gift.status not in (DonationStatus.PENDING, DonationStatus.EXPIRED, DonationStatus.FAILED):
        raise InvalidTransition(f"cannot receive a payment in {gift.status}")
    return not (gift.payment_intent and transaction_id and gift.payment_intent != transaction_id)


def _record_second_payment(
    gift: Donation, *, checkout_id: str, transaction_id: str, amount: int, currency: str, at
) -> Donation:
    duplicate = Donation.objects.create(
        project=gift.project,
        amount=amount,
        currency=currency.upper() or gift.currency,
        source=gift.source,
        status=DonationStatus.SUCCEEDED,
        flagged=True,
        flag_reason=f"second payment for gift #{gift.pk}: refund it"[:300],
        duplicate_of=gift,
        external_id=checkout_id,
        payment_intent=transaction_id,
        donor_name=gift.donor_name,
        donor_email=gift.donor_email,
        user=gift.user,
        anonymity=gift.anonymity,
        received_at=at,
        ip_address=gift.ip_address,
    )
    log(
        instance=duplicate,
        action="funding.duplicate_payment",
        data={"gift": gift.pk, "amount": amount, "payment": transaction_id or checkout_id},
    )
    return duplicate


@transaction.atomic
def clear_flag(*, donation: Donation, by) -> Donation:
    """Staff accept a flagged, succeeded donation: it now counts and may be matched.

    What was refunded while it was flagged is reversed in the same transaction, so the
    gift counts (and is matched for) only what remains. Raises ``InvalidTransition`` if
    it is not flagged and succeeded, or is a second payment of a paid gift (those are
    refunded, never counted). Audit-logged.
    """
    donation = _locked(donation)
    if not donation.flagged or donation.status != DonationStatus.SUCCEEDED:
        raise InvalidTransition("only flagged, succeeded donations can be cleared")
    if donation.duplicate_of_id:
        raise InvalidTransition(
            "a second payment cannot be cleared",
            message=_(
                "This is a second payment for gift #%(gift)s, which is already paid. "
                "Refund it at the payment provider; it never counts."
            )
            % {"gift": donation.duplicate_of_id},
        )
    donation.flagged = False
    donation.save(update_fields=["flagged"])
    _count(donation, at=donation.received_at or timezone.now())
    if donation.refunded_amount:
        # Refunds recorded while it was flagged moved no ledger money; now that the
        # gift counts, reverse them at once so only what remains is counted and matched.
        _reverse_money(donation, donation.refunded_amount, key=f"refund:{donation.refunded_amount}")
    if donation.net_amount:
        _after_counted(donation)
    log(
        instance=donation,
        action="funding.donation_cleared",
        user=by,
        data={"refunded": donation.refunded_amount},
    )
    return donation


@transaction.atomic
def mark_failed(*, donation: Donation, status: str = DonationStatus.FAILED) -> Donation:
    """A checkout failed or expired: release held match. No-op unless still PENDING."""
    donation = Donation.objects.select_for_update().get(pk=donation.pk)
    if donation.status != DonationStatus.PENDING:
        return donation
    donation.status = status
    donation.save(update_fields=["status"])
    release_match(donation=donation)
    return donation


@transaction.atomic(savepoint=False)
def record_refund(*, donation: Donation, refunded_total: int) -> int:
    """Apply a (full or partial) refund given the cumulative refunded amount.

    Reverses the refunded money and the matching share of the match (returned to the
    pools). Idempotent: keyed by the cumulative total, so replays and out-of-order
    deliveries of the same or a lower total change nothing. Returns fen reversed now.
    """
    donation = _locked(donation)
    refunded_total = min(refunded_total, donation.amount)
    delta = refunded_total - donation.refunded_amount
    if delta <= 0 or donation.status != DonationStatus.SUCCEEDED:
        return 0
    donation.refunded_amount = refunded_total
    donation.save(update_fields=["refunded_amount"])
    if not donation.flagged:
        _reverse_money(donation, delta, key=f"refund:{refunded_total}")
        _receipt_follows(donation)
    return delta


@transaction.atomic
def record_provider_refund(*, donation: Donation, refund_id: str, amount: int) -> int:
    """Apply one refund the provider identifies by its own id (WeChat Pay ``refund_id``).

    Each refund id is applied once (a ``ProviderRefund`` row, unique per provider and
    id, written under the gift's row lock), however often it is reported; the gift's
    cumulative refunded amount then grows by ``amount`` (at most to the gift's amount)
    through :func:`record_refund`. Returns fen reversed now (0 for a repeat, or for a
    gift that has not succeeded).
    """
    donation = _locked(donation)
    if amount <= 0 or donation.status != DonationStatus.SUCCEEDED:
        return 0
    _row, created = ProviderRefund.objects.get_or_create(
        source=donation.source,
        refund_id=refund_id,
        defaults={"donation": donation, "amount": amount},
    )
    if not created:
        return 0
    return record_refund(donation=donation, refunded_total=donation.refunded_amount + amount)


def _receipt_follows(donation: Donation) -> None:
    """The gift's receipt states what the gift is now worth (after refunds)."""
    Receipt.objects.filter(donation=donation).update(amount=donation.net_amount)


def _reverse_money(donation: Donation, delta: int, *, key: str) -> None:
    """Reverse ``delta`` of the gift and the matching share of its match.

    The match goes first: its postings reference the pools (a key-share lock on the pool
    rows) before they touch the project's balance row, the same order as live matching
    (pools → balance); the other way round a refund and a confirmation for the same
    project could deadlock.
    """
    original = donation.transactions.filter(kind=TransactionKind.DONATION).first()
    clearing = account_for(
        kind=AccountKind.CLEARING, currency=donation.currency, provider=donation.source
    )
    reverse_match(
        donation=donation, remaining_amount=donation.amount - donation.refunded_amount, key=key
    )
    _txn, created = post_transaction(
        kind=TransactionKind.DONATION_REVERSAL,
        idempotency_key=f"donation-reversal:{donation.pk}:{key}",
        currency=donation.currency,
        legs=[(project_account(donation.project, donation.currency), -delta), (clearing, delta)],
        donation=donation,
        reverses=original,
    )
    if created:
        from .clawbacks import record_claw_backs

        record_claw_backs(donation=donation, delta=delta, key=key)


@transaction.atomic
def record_dispute(*, donation: Donation, status: str) -> Donation:
    """Track a payment dispute. A lost dispute reverses what is left of the gift and its
    match, like a full refund (``refunded_amount`` then equals ``amount``)."""
    donation = _locked(donation)
    if donation.dispute_status == DisputeStatus.LOST:
        return donation
    donation.dispute_status = status
    fields = ["dispute_status"]
    if status == DisputeStatus.LOST and donation.status == DonationStatus.SUCCEEDED:
        delta = donation.amount - donation.refunded_amount
        donation.refunded_amount = donation.amount
        fields.append("refunded_amount")
        donation.save(update_fields=fields)
        if delta > 0 and not donation.flagged:
            _reverse_money(donation, delta, key="dispute-lost")
            _receipt_follows(donation)
        return donation
    donation.save(update_fields=fields)
    return donation


@transaction.atomic
def record_offline_donation(
    *,
    project,
    amount: int,
    method: str,
    recorded_by,
    donor_name: str = "",
    donor_email: str = "",
    reference: str = "",
    evidence=None,
    message: str = "",
    anonymity: str = "none",
    receipt_requested: bool = False,
    received_at: datetime | None = None,
) -> Donation:
    """Finance staff record a bank transfer / cash / cheque gift. It waits for a second
    finance officer's approval before it counts. Raises ``PermissionDenied``-like
    ``FourEyesViolation`` when the recorder is not finance staff, ``ProjectClosedToMoney``
    (on the project field) for a project that is closed, terminated or not yet agreed.
    Audit-logged."""
    if not has_role(recorded_by, FINANCE_OFFICER):
        raise FourEyesViolation("only finance officers record offline donations")
    refuse_closed_project(project, field="project")
    if amount <= 0:
        raise ValidationError(_("The amount must be positive."))
    # A reference is stored as the bank shows it in upper case: the same transfer typed
    # "gy…" by one officer and "GY…" by another is one gift (and one pledge code).
    reference = normalise_reference(reference)
    if reference:
        _refuse_reused_reference(reference)
    donation = Donation.objects.create(
        project=project,
        amount=amount,
        source=DonationSource.OFFLINE,
        currency=project.currency if project else settings.DEFAULT_CURRENCY,
        status=DonationStatus.AWAITING_APPROVAL,
        offline_method=method,
        donor_name=donor_name,
        donor_email=donor_email,
        external_id=reference,
        message=message,
        anonymity=anonymity,
        receipt_requested=receipt_requested,
        recorded_by=recorded_by,
        received_at=received_at or timezone.now(),
    )
    if evidence:
        donation.evidence.save(evidence.name, evidence, save=False)
        donation.save(update_fields=["evidence"])
    from .pledges import link_pledge

    link_pledge(donation=donation)
    log(
        instance=donation,
        action="funding.offline_recorded",
        user=recorded_by,
        data={"amount": amount},
    )
    return donation


def normalise_reference(reference: str) -> str:
    """The stored form of an offline gift's bank/receipt reference (and of a pledge
    code): without surrounding blanks, upper case."""
    return (reference or "").strip().upper()


def _refuse_reused_reference(reference: str) -> None:
    """A bank/receipt reference identifies one offline gift (unique in the database,
    whatever its letter case).
    The row is checked under a lock-free read; a concurrent insert of the same
    reference still fails on the unique constraint (and is reported the same way by
    the caller's retry)."""
    existing = (
        Donation.objects.filter(
            source=DonationSource.OFFLINE, import_source="", external_id__iexact=reference
        )
        .exclude(status=DonationStatus.REJECTED)
        .values_list("pk", flat=True)
        .first()
    )
    if existing is not None:
        raise DuplicateReference(
            f"offline reference {reference!r} is on donation {existing}",
            message=_(
                "The reference %(ref)s is already recorded for offline donation #%(id)s. "
                "Check the bank statement; each transfer is recorded once."
            )
            % {"ref": reference, "id": existing},
            field="reference",
        )


@transaction.atomic
def approve_offline_donation(*, donation: Donation, approved_by) -> Donation:
    """Second finance officer approves: the gift counts and is matched if the rule allows.

    Raises ``FourEyesViolation`` if the approver recorded it or is not finance staff,
    ``InvalidTransition`` unless it awaits approval, ``ProjectClosedToMoney`` when the
    project was closed, terminated or is not agreed (reject the gift and return the
    money, or record it for the general fund). Audit-logged.
    """
    donation = _locked(donation)
    if donation.status != DonationStatus.AWAITING_APPROVAL:
        raise InvalidTransition("donation is not awaiting approval")
    if not has_role(approved_by, FINANCE_OFFICER):
        raise FourEyesViolation("only finance officers approve offline donations")
    if approved_by.pk == donation.recorded_by_id:
        raise FourEyesViolation("a different finance officer must approve")
    refuse_closed_project(donation.project)
    donation.status = DonationStatus.SUCCEEDED
    donation.approved_by = approved_by
    donation.save(update_fields=["status", "approved_by"])
    _count(donation, at=donation.received_at)
    _after_counted(donation)
    log(instance=donation, action="funding.offline_approved", user=approved_by)
    return donation


@transaction.atomic
def reject_offline_donation(*, donation: Donation, rejected_by, reason: str = "") -> Donation:
    """Reject an offline gift awaiting approval (nothing was posted); its pledge, if
    any, is unlinked for the corrected record. Audit-logged."""
    donation = Donation.objects.select_for_update().get(pk=donation.pk)
    if donation.status != DonationStatus.AWAITING_APPROVAL:
        raise InvalidTransition("donation is not awaiting approval")
    if not has_role(rejected_by, FINANCE_OFFICER):
        raise FourEyesViolation("only finance officers reject offline donations")
    donation.status = DonationStatus.REJECTED
    donation.save(update_fields=["status"])
    # A rejected record frees its reference for a corrected one, and so its pledge:
    # the corrected record links it (link_pledge links only an unlinked pledge).
    OfflinePledge.objects.filter(donation=donation).update(donation=None)
    log(
        instance=donation,
        action="funding.offline_rejected",
        user=rejected_by,
        data={"reason": reason},
    )
    return donation
