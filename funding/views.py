"""Public donate flow, provider notifications, test checkout, donor history and receipts."""

import json
import logging
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.db.models import Sum
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from projects.models import Project

from .enums import DonationSource, DonationStatus, ReservationStatus
from .errors import InvalidTransition, PaymentProviderError, ProjectClosedToMoney
from .forms import DonateForm, PledgeForm
from .models import Donation, MatchReservation, OfflineGivingSettings, OfflinePledge
from .providers import (
    channel_for,
    device_of,
    is_test_payment,
    online_methods,
    testpay,
    wechat_payer_openid,
)
from .providers.base import InvalidNotification
from .providers.registry import get_adapter
from .services.checkout import begin_checkout, hold_match_for_checkout
from .services.donations import create_online_donation, mark_failed, mark_succeeded
from .services.inbox import kick_workers, store_notifications
from .services.matching import quote_match

logger = logging.getLogger(__name__)


def _client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _project_or_404(slug):
    return get_object_or_404(
        Project.objects.public().select_related("organization", "call"), slug=slug
    )


@require_http_methods(["GET", "POST"])
def donate(request, slug=None):
    """Step 1: choose amount and options. On POST the gift is created and match held."""
    project = _project_or_404(slug) if slug else None
    methods = online_methods(request.headers.get("User-Agent", ""))
    provider = methods[0] if methods else ""
    form = DonateForm(
        request.POST or None,
        initial={
            "donor_email": getattr(request.user, "email", "") or "",
        },
        methods=methods,
    )
    if request.method == "POST" and provider and form.is_valid():
        data = form.cleaned_data
        try:
            donation = create_online_donation(
                project=project,
                amount=data["amount"],
                source=data["method"],
                donor_name=data["donor_name"],
                donor_email=data["donor_email"],
                user=request.user if request.user.is_authenticated else None,
                message=data["message"],
                anonymity=data["anonymity"],
                dedication=data["dedication"],
                receipt_requested=data["receipt_requested"],
                receipt_name=data["receipt_name"],
                receipt_address=data["receipt_address"],
                ip=_client_ip(request),
                language=get_language() or "",
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            hold_match_for_checkout(donation=donation)
            return redirect("funding_public:confirm", token=donation.access_token)
    match_hint = 0
    if project is not None:
        match_hint = quote_match(
            donation=Donation(
                project=project,
                amount=10_000,
                currency=project.currency,
                source=DonationSource.STRIPE,
            )
        )
    return render(
        request,
        "funding/donate.html",
        {
            "project": project,
            "form": form,
            "provider": provider,
            "methods": methods,
            "only_method": DonationSource(methods[0]).label if len(methods) == 1 else "",
            "offline": _offline_settings(request),
            # Any offered provider that moves no real money (the development provider,
            # test keys, a sandbox or local fake): the page says so.
            "is_test_provider": any(is_test_payment(m) for m in methods),
            "match_hint_per_100": match_hint,
        },
    )


def _offline_settings(request):
    """The site's offline-giving details, or None while they are not usable."""
    offline = OfflineGivingSettings.for_request(request)
    return offline if offline.usable else None


@require_http_methods(["GET", "POST"])
def pledge(request, slug=None):
    """Pledge an offline gift: the donor gets a reference code to write in the transfer
    memo (or quote at the office); finance records the gift with it when it arrives."""
    from .services.pledges import create_pledge

    project = _project_or_404(slug) if slug else None
    offline = _offline_settings(request)
    if offline is None:
        raise Http404
    form = PledgeForm(
        request.POST or None, initial={"donor_email": getattr(request.user, "email", "") or ""}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            item = create_pledge(
                project=project,
                amount=data["amount"],
                method=data["method"],
                donor_name=data["donor_name"],
                donor_email=data["donor_email"],
                user=request.user,
                ip=_client_ip(request),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect("funding_public:pledge_detail", token=item.access_token)
    return render(
        request, "funding/pledge_form.html", {"project": project, "form": form, "offline": offline}
    )


def pledge_detail(request, token):
    """The donor's pledge: its reference code and where to give (the token is the
    permission, like a gift's status page)."""
    item = get_object_or_404(
        OfflinePledge.objects.select_related("project", "donation"), access_token=token
    )
    return render(
        request,
        "funding/pledge_detail.html",
        {"pledge": item, "offline": OfflineGivingSettings.for_request(request)},
    )


def _held(donation) -> int:
    return (
        MatchReservation.objects.filter(
            donation=donation, status__in=[ReservationStatus.HELD, ReservationStatus.CONFIRMED]
        ).aggregate(t=Sum("amount"))["t"]
        or 0
    )


@require_http_methods(["GET", "POST"])
def confirm(request, token):
    """Step 2: show the held match ("matched by ¥X" / "used up"), then go to payment."""
    donation = get_object_or_404(Donation.objects.select_related("project"), access_token=token)
    if donation.status != DonationStatus.PENDING:
        return redirect("funding_public:status", token=token)
    error = ""
    if request.method == "POST":
        if "cancel" in request.POST:
            mark_failed(donation=donation, status=DonationStatus.FAILED)
            return redirect("funding_public:status", token=token)
        status_url = request.build_absolute_uri(
            reverse("funding_public:status", kwargs={"token": token})
        )
        title = donation.project.title if donation.project else _("General fund")
        user_agent = request.headers.get("User-Agent", "")
        # Inside WeChat, a donor signed in with WeChat pays without the QR code (JSAPI).
        openid = wechat_payer_openid(request.user) if device_of(user_agent) == "wechat" else ""
        try:
            url = begin_checkout(
                donation=donation,
                product_name=title,
                success_url=status_url,
                cancel_url=status_url,
                locale=get_language() or settings.LANGUAGE_CODE,
                channel=channel_for(donation.source, user_agent, payer_openid=openid),
                client_ip=_client_ip(request),
                payer_openid=openid,
            )
        except ProjectClosedToMoney as exc:
            error = exc.messages[0]
        except (PaymentProviderError, InvalidTransition):
            error = _(
                "The payment service is not available right now. Nothing was charged. "
                "Please try again later or give offline."
            )
        else:
            return redirect(url)
    return render(
        request,
        "funding/confirm.html",
        {
            "donation": donation,
            "match": _held(donation),
            "error": error,
            "is_test_provider": is_test_payment(donation.source),
        },
    )


def scan(request, token):
    """WeChat Pay Native: the order's QR code (rendered here, never by a web service)
    for the donor to scan; ``funding/js/payment-status.js`` polls :func:`state` and
    moves on to the status page once the gift is paid (or failed/expired)."""
    from portal.core.qrcode import qr_svg

    donation = get_object_or_404(Donation.objects.select_related("project"), access_token=token)
    if donation.status != DonationStatus.PENDING or not donation.payment_code.startswith(
        "weixin://"
    ):
        return redirect("funding_public:status", token=token)
    return render(
        request,
        "funding/scan.html",
        {
            "donation": donation,
            "qr_svg": qr_svg(donation.payment_code),
            "in_wechat": "MicroMessenger" in request.headers.get("User-Agent", ""),
            "state_url": reverse("funding_public:state", kwargs={"token": token}),
            "status_url": reverse("funding_public:status", kwargs={"token": token}),
            # Development only (production refuses WECHATPAY_API_BASE): the local payment
            # sandbox of `make run` "scans" the code at this address.
            "sandbox_scan_url": (
                f"{settings.WECHATPAY_API_BASE.rstrip('/')}/wechat/scan?"
                + urlencode({"code": donation.payment_code})
                if settings.WECHATPAY_API_BASE
                else ""
            ),
        },
    )


def wechat_pay(request, token):
    """WeChat Pay JSAPI (inside WeChat, donor signed in with WeChat): the signed
    ``getBrandWCPayRequest`` parameters for ``funding/js/wechat-pay.js``, which opens
    WeChat's own payment sheet; the page polls :func:`state` like the QR page and moves on
    once the gift is paid. Outside WeChat (no WeixinJSBridge) it says to open it there."""
    from .providers import wechatpay

    donation = get_object_or_404(Donation.objects.select_related("project"), access_token=token)
    if donation.status != DonationStatus.PENDING or not donation.payment_code.startswith(
        wechatpay.PREPAY_PREFIX
    ):
        return redirect("funding_public:status", token=token)
    try:
        parameters = wechatpay.jsapi_parameters(donation.payment_code)
    except PaymentProviderError:
        parameters = None
    response = render(
        request,
        "funding/wechat_pay.html",
        {
            "donation": donation,
            "parameters": parameters,
            "state_url": reverse("funding_public:state", kwargs={"token": token}),
            "status_url": reverse("funding_public:status", kwargs={"token": token}),
        },
    )
    response["Cache-Control"] = "no-store"
    return response


def state(request, token):
    """The gift's state as JSON for the payment page's poll. A pending gift of a
    provider that can be asked (WeChat Pay) is looked up there at most every few
    seconds, so a late notification does not keep the donor waiting."""
    from django.http import JsonResponse

    from .services.provider_sync import sync_if_due

    donation = get_object_or_404(Donation, access_token=token)
    if donation.status == DonationStatus.PENDING:
        donation = sync_if_due(donation=donation)
    response = JsonResponse(
        {
            "status": donation.status,
            "done": donation.status != DonationStatus.PENDING,
        }
    )
    response["Cache-Control"] = "no-store"
    return response


def status(request, token):
    """The donor's magic link: this gift's state, its match and receipt, and nothing
    else. Other gifts under the same e-mail address are never listed here (the address
    typed into the donate form is not verified); a donor's history is on ``/me/`` for a
    signed-in account with a verified address (``funding.selectors.donations_of``)."""
    donation = get_object_or_404(Donation.objects.select_related("project"), access_token=token)
    receipt = getattr(donation, "receipt", None)
    return render(
        request,
        "funding/status.html",
        {
            "donation": donation,
            "match": _held(donation),
            "receipt": receipt,
            "is_test_provider": receipt.test_mode if receipt else is_test_payment(donation.source),
        },
    )


@require_http_methods(["GET", "POST"])
def test_checkout(request, token):
    """Development-only simulated payment page; 404 unless DEBUG and enabled."""
    if not testpay.is_enabled():
        raise Http404
    donation = get_object_or_404(Donation, access_token=token, source=DonationSource.TEST)
    if request.method == "POST":
        if "pay" in request.POST:
            mark_succeeded(
                donation=donation, amount_received=donation.amount, currency=donation.currency
            )
        else:
            mark_failed(donation=donation, status=DonationStatus.FAILED)
        return redirect("funding_public:status", token=token)
    return render(request, "funding/test_checkout.html", {"donation": donation})


def unstorable(notifications) -> str:
    """Why a verified notification's payload cannot be stored as JSON ("" when it can)."""
    for notification in notifications:
        try:
            text = json.dumps(notification.payload, allow_nan=False)
        except (TypeError, ValueError):
            return "payload is not plain JSON (Infinity, NaN or a non-JSON value)"
        if "\\u0000" in text:
            return "payload holds a NUL character"
    return ""


@csrf_exempt
@require_POST
def provider_notification(request, provider):
    """Any provider's payment notifications: verified by its adapter, stored once in the
    inbox, answered at once in the provider's format; a worker applies them (see
    ``funding.services.inbox``). Never leaks exception text."""
    adapter = get_adapter(provider)
    if adapter is None:
        raise Http404
    try:
        notifications = adapter.verify(request)
    except InvalidNotification as exc:
        logger.warning("%s notification refused: %s", provider, exc)
        return adapter.rejected(exc)
    problem = unstorable(notifications)
    if problem:
        # Verified, but PostgreSQL's JSON type cannot hold it (Infinity, NaN, a NUL
        # character): refused in the provider's format instead of a 500 on insert.
        logger.warning("%s notification refused: %s", provider, problem)
        return adapter.rejected(InvalidNotification(problem))
    try:
        created = store_notifications(provider=adapter.name, notifications=notifications)
    except DatabaseError:
        logger.exception("%s notification could not be stored", provider)
        return adapter.unavailable()
    if created:
        try:
            kick_workers()
        except Exception:  # noqa: BLE001 - stored; the periodic process_inbox applies it
            logger.exception("could not enqueue an inbox drain")
    return adapter.accepted(duplicate=created == 0)


def settlement(request, call_id):
    """Public matching results of a call (published once committed)."""
    from projects.models import CallPage

    from .models import Settlement

    call = get_object_or_404(CallPage.objects.live(), pk=call_id)
    return render(
        request,
        "funding/settlement.html",
        {"call": call, "has_settlement": Settlement.objects.filter(call=call).exists()},
    )


def receipt_pdf(request, token):
    """The donor's receipt as PDF (the magic-link token is the permission).

    Rendering runs in the report worker, never in this request: a receipt not stored yet
    is enqueued and answered with 202 and ``Retry-After``.
    """
    from portal.core.reports import enqueue_report, report_exists, stored_report_response

    donation = get_object_or_404(Donation, access_token=token)
    receipt = getattr(donation, "receipt", None)
    if receipt is None:
        raise Http404
    language = get_language() or settings.LANGUAGE_CODE
    if not report_exists("receipt", receipt.pk, language):
        enqueue_report("receipt", receipt.pk, language)
    return stored_report_response(
        "receipt",
        receipt.pk,
        language,
        filename=f"receipt-{receipt.number}.pdf",
        pending_message=_("Your receipt is being prepared. Please try again in a minute."),
    )


def private_pdf_response(receipt):
    """The receipt's official e-receipt PDF as a download that no cache keeps."""
    from django.http import FileResponse

    response = FileResponse(
        receipt.official_pdf.open("rb"),
        as_attachment=True,
        filename=f"e-receipt-{receipt.official_code}-{receipt.official_number}.pdf",
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def official_receipt_pdf(request, token):
    """The official e-receipt (公益事业捐赠统一票据) finance attached to the gift's
    receipt (the gift's private token is the permission, like its receipt)."""
    donation = get_object_or_404(Donation, access_token=token)
    receipt = getattr(donation, "receipt", None)
    if receipt is None or not receipt.official_pdf:
        raise Http404
    return private_pdf_response(receipt)
