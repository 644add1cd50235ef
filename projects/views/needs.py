"""The community needs board: browse, raise, support; photos behind a permission check."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from organizations.middleware import staff_data_redirect

from .. import services
from ..enums import NeedStatus
from ..filters import NEED_ORDERINGS, NeedFilter
from ..forms import NeedForm
from ..models import CommunityNeed, NeedPhoto, NeedSupport
from ..selectors import need_detail, published_needs


def _staff_view_refusal(request, need):
    """A pending or declined need opened by someone other than its author is staff-only
    data: staff accounts need a session that passed two-factor (as in the admin)."""
    if need.status in (NeedStatus.PUBLISHED, NeedStatus.MERGED) or (
        need.author_id == request.user.pk
    ):
        return None
    return staff_data_redirect(request)


def need_list(request):
    need_filter = NeedFilter(
        request.GET or None, queryset=published_needs().order_by(*NEED_ORDERINGS["newest"])
    )
    page = Paginator(need_filter.qs, 20).get_page(request.GET.get("page"))
    supported = set()
    if request.user.is_authenticated:
        supported = set(
            NeedSupport.objects.filter(
                user=request.user, need__in=[n.pk for n in page]
            ).values_list("need_id", flat=True)
        )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "projects/need_list.html",
        {
            "filter": need_filter,
            "page_obj": page,
            "needs": page.object_list,
            "supported": supported,
            "extra_query": f"&{query.urlencode()}" if query else "",
        },
    )


@login_required
def need_create(request):
    form = NeedForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        need = services.post_need(
            by=request.user,
            title=d["title"],
            description=d["description"],
            region=d["region"],
            service_item=d["service_item"],
            people_affected=d["people_affected"],
            photos=form.checked_photos,
            title_en=d["title_en"],
            description_en=d["description_en"],
        )
        messages.success(
            request, _("Thank you. Your need will appear on the board once staff have checked it.")
        )
        return redirect(need.get_absolute_url())
    return render(
        request, "projects/need_form.html", {"form": form}, status=400 if form.is_bound else 200
    )


def need_view(request, pk):
    need = need_detail(pk=pk, user=request.user)
    if need is None:
        raise Http404
    refusal = _staff_view_refusal(request, need)
    if refusal is not None:
        return refusal
    if need.merged_into_id:
        return redirect(need.merged_into.get_absolute_url())
    has_supported = (
        request.user.is_authenticated
        and NeedSupport.objects.filter(need=need, user=request.user).exists()
    )
    return render(
        request,
        "projects/need_detail.html",
        {
            "need": need,
            "has_supported": has_supported,
            "projects": need.projects.all(),
            "photos": need.photos.all(),
        },
    )


@login_required
@require_POST
def need_support(request, pk):
    need = get_object_or_404(CommunityNeed, pk=pk)
    try:
        if "withdraw" in request.POST:
            services.withdraw_support(need=need, by=request.user)
            messages.success(request, _("Your support was withdrawn."))
        elif services.support_need(need=need, by=request.user):
            messages.success(request, _("Thank you for your support."))
        else:
            messages.info(request, _("You already support this need."))
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    return redirect(need.get_absolute_url())


def need_photo(request, pk, photo_pk):
    """Photos of published needs are public; others only for the author and staff."""
    need = need_detail(pk=pk, user=request.user)
    if need is None:
        raise Http404
    refusal = _staff_view_refusal(request, need)
    if refusal is not None:
        return refusal
    photo = get_object_or_404(NeedPhoto, pk=photo_pk, need_id=pk)
    response = FileResponse(photo.image.open("rb"), content_type=photo.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response
