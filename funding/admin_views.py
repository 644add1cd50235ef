"""Custom admin views for finance staff: offline gifts, four-eyes reviews, imports,
pool top-ups, disbursements, evidence download."""

import secrets
from datetime import datetime, time

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView

from portal.core.admin_listing import AdminPageMixin
from portal.core.errors import show_error

from .admin_forms import (
    DisbursementApprovalForm,
    DisbursementForm,
    DisbursementRefusalForm,
    ImportUploadForm,
    OfficialReceiptForm,
    OfflineDonationForm,
    StatementUploadForm,
    TopUpForm,
)
from .enums import DisbursementStatus, ImportStatus, InboundEventStatus
from .errors import FundingError
from .models import Disbursement, Donation, ImportBatch, InboundEvent, MatchPool, Receipt
from .selectors import disbursement_context
from .services import donations as donation_services
from .services.imports import (
    ImportRejected,
    approve_import,
    commit_import,
    preview_import,
    reject_import,
)
from .services.inbox import requeue_event
from .services.matching import pool_available
from .services.pools import close_pool, top_up_pool
from .services.spending import approve_disbursement, record_disbursement, refuse_disbursement
from .storage import private_storage
from .views import private_pdf_response


class FinanceOnlyMixin:
    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm("funding.record_money"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class RecordOfflineView(FinanceOnlyMixin, AdminPageMixin, FormView):
    template_name = "funding/admin/form.html"
    form_class = OfflineDonationForm
    page_title = gettext_lazy("Record offline donation")
    header_icon = "form"

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            donation_services.record_offline_donation(
                project=data["project"],
                amount=data["amount"],
                method=data["method"],
                recorded_by=self.request.user,
                donor_name=data["donor_name"],
                donor_email=data["donor_email"],
                reference=data["reference"],
                evidence=data["evidence"],
                anonymity=data["anonymity"],
                receipt_requested=data["receipt_requested"],
                received_at=timezone.make_aware(datetime.combine(data["received_on"], time(12))),
            )
        except (FundingError, ValidationError) as exc:
            show_error(exc, form=form)
            return self.form_invalid(form)
        messages.success(
            self.request, _("Recorded. A second finance officer must approve it before it counts.")
        )
        return redirect("funding_donations:index")


class ReviewDonationView(FinanceOnlyMixin, AdminPageMixin, FormView):
    """Approve / reject an offline gift, or clear a flagged one (four-eyes)."""

    template_name = "funding/admin/review.html"
    form_class = ImportUploadForm  # unused; the page posts plain buttons
    page_title = gettext_lazy("Review donation")
    header_icon = "tick"

    def dispatch(self, request, *args, **kwargs):
        self.donation = get_object_or_404(
            Donation.objects.select_related("project", "recorded_by"), pk=kwargs["pk"]
        )
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        from .services.refunds import can_refund_online

        refund_requests = list(
            self.donation.refund_requests.select_related("requested_by").order_by("-pk")
        )
        return super().get_context_data(
            donation=self.donation,
            refundable=can_refund_online(self.donation),
            refund_requests=refund_requests,
            refund_waiting=any(r.status == "requested" for r in refund_requests),
            **kwargs,
        )

    def _refund(self, request) -> bool:
        """Ask the provider to refund; returns False (with a message) on bad input."""
        from portal.core.money import YuanField

        from .services.refunds import request_refund

        try:
            amount = YuanField().clean(request.POST.get("refund_amount", ""))
            seen = int(request.POST.get("seen_refunded", ""))
        except (ValidationError, ValueError):
            messages.error(request, _("Enter the amount to refund in yuan, e.g. 50 or 12.50."))
            return False
        request_refund(
            donation=self.donation,
            amount=amount,
            seen_refunded=seen,
            by=request.user,
            reason=request.POST.get("refund_reason", ""),
        )
        messages.success(
            request,
            _("Refund requested. The gift and its match follow when the provider confirms it."),
        )
        return True

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action")
        try:
            if action == "refund":
                self._refund(request)
                return redirect("funding_donations:review", pk=self.donation.pk)
            if action == "approve":
                donation_services.approve_offline_donation(
                    donation=self.donation, approved_by=request.user
                )
            elif action == "reject":
                donation_services.reject_offline_donation(
                    donation=self.donation,
                    rejected_by=request.user,
                    reason=request.POST.get("reason", ""),
                )
            elif action == "clear":
                donation_services.clear_flag(donation=self.donation, by=request.user)
            elif action == "reviewed":
                donation_services.mark_reviewed(donation=self.donation, by=request.user)
            else:
                raise Http404
        except (FundingError, ValidationError) as exc:
            show_error(exc, request=request)
            return redirect("funding_donations:review", pk=self.donation.pk)
        messages.success(request, _("Saved."))
        return redirect("funding_donations:index")


class BankStatementView(FinanceOnlyMixin, AdminPageMixin, FormView):
    """Import a bank statement; confirm or dismiss the proposed pledge matches; see the
    lines no pledge matched."""

    template_name = "funding/admin/statements.html"
    form_class = StatementUploadForm
    page_title = gettext_lazy("Bank statements")
    header_icon = "table"

    def get_context_data(self, **kwargs):
        from .enums import StatementLineStatus
        from .models import BankStatement, BankStatementLine

        lines = BankStatementLine.objects.select_related(
            "statement", "pledge", "pledge__project", "donation"
        ).order_by("-booked_at", "-pk")
        return super().get_context_data(
            proposed=list(lines.filter(status=StatementLineStatus.PROPOSED)),
            unmatched=list(
                lines.filter(
                    status__in=[StatementLineStatus.UNMATCHED, StatementLineStatus.DISMISSED]
                )[:500]
            ),
            recorded=list(lines.filter(status=StatementLineStatus.RECORDED)[:50]),
            statements=list(BankStatement.objects.select_related("imported_by")[:10]),
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        if request.POST.get("action") in ("confirm", "dismiss"):
            return self._decide(request)
        return super().post(request, *args, **kwargs)

    def _decide(self, request):
        from .models import BankStatementLine
        from .services.statements import confirm_statement_match, dismiss_statement_match

        line = get_object_or_404(BankStatementLine, pk=request.POST.get("line") or 0)
        try:
            if request.POST["action"] == "confirm":
                confirm_statement_match(line=line, by=request.user)
                messages.success(
                    request,
                    _("Recorded. A second finance officer must approve it before it counts."),
                )
            else:
                dismiss_statement_match(line=line, by=request.user)
                messages.success(request, _("Saved."))
        except (FundingError, ValidationError) as exc:
            show_error(exc, request=request)
        return redirect("funding_donations:statements")

    def form_valid(self, form):
        from .services.statements import import_statement

        upload = form.cleaned_data["file"]
        try:
            result = import_statement(
                content=upload.read(), file_name=upload.name, by=self.request.user
            )
        except (FundingError, ValidationError) as exc:
            show_error(exc, form=form)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _(
                "Imported %(new)s lines: %(proposed)s proposed as pledge gifts, %(unmatched)s "
                "without a pledge; %(skipped)s already imported, %(duplicates)s repeated in "
                "the file, %(outgoing)s outgoing (left out)."
            )
            % {
                "new": result.statement.line_count,
                "proposed": result.proposed,
                "unmatched": result.unmatched,
                "skipped": result.skipped,
                "duplicates": len(result.duplicates),
                "outgoing": result.outgoing,
            },
        )
        return redirect("funding_donations:statements")


def evidence_download(request, pk):
    """Stream an offline gift's evidence file; finance staff only."""
    if not request.user.has_perm("funding.record_money"):
        raise PermissionDenied
    donation = get_object_or_404(Donation, pk=pk)
    if not donation.evidence:
        raise Http404
    return FileResponse(
        donation.evidence.open("rb"),
        as_attachment=True,
        filename=donation.evidence.name.rsplit("/", 1)[-1],
    )


class OfficialReceiptView(FinanceOnlyMixin, AdminPageMixin, FormView):
    """Record (or correct) the official e-receipt of a gift's receipt: code, number, PDF."""

    template_name = "funding/admin/official_receipt.html"
    form_class = OfficialReceiptForm
    page_title = gettext_lazy("Official e-receipt")
    header_icon = "doc-full"

    def dispatch(self, request, *args, **kwargs):
        self.receipt = get_object_or_404(
            Receipt.objects.select_related("donation__project"), donation_id=kwargs["pk"]
        )
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        return {
            "official_code": self.receipt.official_code,
            "official_number": self.receipt.official_number,
        }

    def get_context_data(self, **kwargs):
        return super().get_context_data(receipt=self.receipt, **kwargs)

    def form_valid(self, form):
        from .services.receipts import record_official_receipt

        data = form.cleaned_data
        try:
            record_official_receipt(
                receipt=self.receipt,
                code=data["official_code"],
                number=data["official_number"],
                pdf=data["pdf"] or None,
                by=self.request.user,
            )
        except ValidationError as exc:
            show_error(exc, form=form)
            return self.form_invalid(form)
        messages.success(self.request, _("Saved."))
        return redirect("funding_donations:index")


def official_receipt_download(request, pk):
    """The official e-receipt PDF of a gift's receipt; finance staff only."""
    if not request.user.has_perm("funding.record_money"):
        raise PermissionDenied
    receipt = get_object_or_404(Receipt, donation_id=pk)
    if not receipt.official_pdf:
        raise Http404
    return private_pdf_response(receipt)


class ImportView(FinanceOnlyMixin, AdminPageMixin, FormView):
    """Upload → preview with per-row errors → confirm (all or nothing)."""

    template_name = "funding/admin/import.html"
    form_class = ImportUploadForm
    page_title = gettext_lazy("Import donations")
    header_icon = "upload"

    def post(self, request, *args, **kwargs):
        if request.POST.get("confirm_token"):
            return self._commit(request)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        upload = form.cleaned_data["file"]
        content = upload.read()
        source = form.cleaned_data["source"]
        preview = preview_import(content=content, source=source)
        token = secrets.token_hex(16)
        if not preview.errors:
            private_storage().save(f"funding/imports/{token}", ContentFile(content))
        return self.render_to_response(
            self.get_context_data(form=form, preview=preview, token=token, file_name=upload.name)
        )

    def _commit(self, request):
        token = request.POST["confirm_token"]
        if not token.isalnum():
            raise Http404
        storage = private_storage()
        name = f"funding/imports/{token}"
        if not storage.exists(name):
            raise Http404
        with storage.open(name, "rb") as fh:
            content = fh.read()
        try:
            batch = commit_import(
                content=content,
                source=request.POST.get("source", ""),
                file_name=request.POST.get("file_name", "upload"),
                by=request.user,
            )
        except (ImportRejected, ValueError):
            messages.error(request, _("The file was rejected; nothing was imported."))
            return redirect("funding_donations:import")
        finally:
            storage.delete(name)
        messages.success(
            request,
            _(
                "Recorded %(n)s donations (%(s)s were already imported). A second "
                "finance officer must approve the import before they count."
            )
            % {"n": batch.created_count, "s": batch.skipped_count},
        )
        return redirect("funding_donations:import_batch", pk=batch.pk)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            awaiting=ImportBatch.objects.filter(status=ImportStatus.AWAITING_APPROVAL)
            .select_related("imported_by")
            .order_by("pk"),
            **kwargs,
        )


class ImportBatchView(FinanceOnlyMixin, AdminPageMixin, FormView):
    """One platform import: what it holds; a second finance officer approves (the gifts
    then count) or rejects it."""

    template_name = "funding/admin/import_batch.html"
    form_class = ImportUploadForm  # unused; the page posts plain buttons
    page_title = gettext_lazy("Platform import")
    header_icon = "upload"

    def dispatch(self, request, *args, **kwargs):
        self.batch = get_object_or_404(
            ImportBatch.objects.select_related("imported_by", "approved_by"), pk=kwargs["pk"]
        )
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            batch=self.batch,
            gifts=self.batch.donations.select_related("project").order_by("received_at", "pk")[
                :200
            ],
            can_decide=self.batch.status == ImportStatus.AWAITING_APPROVAL
            and self.batch.imported_by_id != self.request.user.pk,
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action")
        try:
            if action == "approve":
                approve_import(batch=self.batch, approved_by=request.user)
                done = _("Import approved: its donations now count.")
            elif action == "reject":
                reject_import(
                    batch=self.batch,
                    rejected_by=request.user,
                    reason=request.POST.get("reason", ""),
                )
                done = _("Import rejected: none of its donations count.")
            else:
                raise Http404
        except (FundingError, ValidationError) as exc:
            show_error(exc, request=request)
            return redirect("funding_donations:import_batch", pk=self.batch.pk)
        messages.success(request, done)
        return redirect("funding_donations:import_batch", pk=self.batch.pk)


class PoolMoneyView(FinanceOnlyMixin, AdminPageMixin, FormView):
    template_name = "funding/admin/pool.html"
    form_class = TopUpForm
    page_title = gettext_lazy("Pool money")
    header_icon = "table"

    def dispatch(self, request, *args, **kwargs):
        self.pool = get_object_or_404(MatchPool, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            pool=self.pool, available=pool_available(self.pool), **kwargs
        )

    def post(self, request, *args, **kwargs):
        if request.POST.get("action") == "close":
            returned = close_pool(pool=self.pool, by=request.user)
            messages.success(
                request, _("Pool closed; %(n)s fen returned to the sponsor.") % {"n": returned}
            )
            return redirect("funding_pools:index")
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        try:
            top_up_pool(
                pool=self.pool,
                amount=form.cleaned_data["amount"],
                key=form.cleaned_data["reference"],
                by=self.request.user,
            )
        except FundingError as exc:
            show_error(exc, form=form)
            return self.form_invalid(form)
        except ValueError:
            show_error(FundingError("top-up refused"), form=form)
            return self.form_invalid(form)
        messages.success(self.request, _("Pool topped up."))
        return redirect("funding_pools:money", pk=self.pool.pk)


class RecordDisbursementView(FinanceOnlyMixin, AdminPageMixin, FormView):
    template_name = "funding/admin/form.html"
    form_class = DisbursementForm
    page_title = gettext_lazy("Record disbursement")
    header_icon = "form"

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            record_disbursement(
                project=data["project"],
                amount=data["amount"],
                recorded_by=self.request.user,
                milestone=data["milestone"],
                reference=data["reference"],
            )
        except (FundingError, ValidationError) as exc:
            show_error(exc, form=form)
            return self.form_invalid(form)
        messages.success(self.request, _("Recorded. A second finance officer must approve it."))
        return redirect("funding_disbursements:index")


def approve_disbursement_view(request, pk):
    """GET shows the tranche with what the decision needs (fund balance, paid so far,
    budget and agreement, holds); POST approves it with its payment date (a finance
    officer who did not record it), rejects it (the same) or cancels it (any finance
    officer), each with a reason where it needs one."""
    if not request.user.has_perm("funding.record_money"):
        raise PermissionDenied
    disbursement = get_object_or_404(
        Disbursement.objects.select_related("project", "recorded_by", "approved_by", "decided_by"),
        pk=pk,
    )
    is_recorder = disbursement.recorded_by_id == request.user.pk
    approve_form = DisbursementApprovalForm(
        request.POST if request.POST.get("action") == "approve" else None,
        initial={"paid_on": timezone.localdate()},
    )
    refuse_form = DisbursementRefusalForm(
        request.POST if request.POST.get("action") in ("reject", "cancel") else None
    )
    if request.method == "POST":
        action = request.POST.get("action")
        form = approve_form if action == "approve" else refuse_form
        if action not in ("approve", "reject", "cancel"):
            raise Http404
        if form.is_valid():
            try:
                if action == "approve":
                    approve_disbursement(
                        disbursement=disbursement,
                        approved_by=request.user,
                        paid_on=form.cleaned_data["paid_on"],
                    )
                    done = _("Disbursement approved and posted.")
                else:
                    refuse_disbursement(
                        disbursement=disbursement,
                        by=request.user,
                        reason=form.cleaned_data["reason"],
                        cancel=action == "cancel",
                    )
                    done = (
                        _("Disbursement cancelled.")
                        if action == "cancel"
                        else _("Disbursement rejected.")
                    )
            except (FundingError, ValidationError) as exc:
                show_error(exc, form=form)
            else:
                messages.success(request, done)
                return redirect("funding_disbursements:index")
    return TemplateResponse(
        request,
        "funding/admin/disbursement.html",
        {
            "disbursement": disbursement,
            "is_recorder": is_recorder,
            "awaiting": disbursement.status == DisbursementStatus.RECORDED,
            "approve_form": approve_form,
            "refuse_form": refuse_form,
            **disbursement_context(disbursement),
        },
        status=400 if request.method == "POST" else 200,
    )


class InboundEventView(FinanceOnlyMixin, AdminPageMixin, FormView):
    """One stored provider notification: payload, attempts, last error; failed and
    ignored ones can be re-run (finance officers, audit-logged)."""

    template_name = "funding/admin/inbox_event.html"
    form_class = ImportUploadForm  # unused; the page posts a plain button
    page_title = gettext_lazy("Payment notification")
    header_icon = "mail"

    def dispatch(self, request, *args, **kwargs):
        self.event = get_object_or_404(InboundEvent, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        import json

        return super().get_context_data(
            event=self.event,
            payload=json.dumps(self.event.payload, indent=2, ensure_ascii=False),
            can_requeue=self.event.status
            in (InboundEventStatus.FAILED, InboundEventStatus.IGNORED),
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        if request.POST.get("action") != "requeue":
            raise Http404
        try:
            requeue_event(event=self.event, by=request.user)
        except FundingError as exc:
            show_error(exc, request=request)
        else:
            messages.success(request, _("The event will be applied again shortly."))
        return redirect("funding_inbox:event", pk=self.event.pk)
