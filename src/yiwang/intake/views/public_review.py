"""The operators' queue of photos the public sent (公众照片审核).

A 受理员 or 值班长 sees the public photos of the cases in their scope and decides, photo by
photo, whether a public page may show them (faces, number plates …); a refusal needs a
reason. The photo itself is shown through the case page's photo view, which applies the
case scope again.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from yiwang.core.errors import ActionError, NotFound
from yiwang.intake import queries
from yiwang.intake.actions import public_review
from yiwang.intake.models import PublicPhotoReview
from yiwang.org.models import User
from yiwang.org.permissions import acting_user, has_role

PAGE_SIZE = 24


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "web/refused.html",
        {
            "title": gettext("公众照片审核"),
            "message": gettext("只有受理员或值班长可以审核公众上报的照片。"),
        },
        status=403,
    )


def _page(
    request: HttpRequest,
    user: User,
    *,
    errors: dict[int, str] | None = None,
    reasons: dict[int, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    current = request.GET.get("status", PublicPhotoReview.Status.PENDING)
    if current not in PublicPhotoReview.Status.values:
        current = PublicPhotoReview.Status.PENDING
    reviews = queries.photo_reviews(user, current)
    page = Paginator(reviews, PAGE_SIZE).get_page(request.GET.get("page"))
    tabs = [
        {"value": value, "label": label, "active": value == current}
        for value, label in PublicPhotoReview.Status.choices
    ]
    context = {
        "page": page,
        "tabs": tabs,
        "current": current,
        "pending_count": queries.pending_photo_count(user),
        "errors": errors or {},
        "reasons": reasons or {},
    }
    return render(request, "intake/public/review.html", context, status=status)


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    if not has_role(user, public_review.REVIEWER_ROLES):
        return _forbidden(request)
    return _page(request, user)


@login_required
@require_POST
def review(request: HttpRequest, review_id: int) -> HttpResponse:
    user = acting_user(request)
    if not has_role(user, public_review.REVIEWER_ROLES):
        return _forbidden(request)
    decision = request.POST.get("decision", "")
    reason = request.POST.get("reason", "")
    try:
        if decision not in ("approve", "reject"):
            raise ActionError("bad_decision", gettext("请选择公开或不公开。"), "decision")
        public_review.review_photo(user, review_id, approve=decision == "approve", reason=reason)
    except NotFound as exc:
        messages.error(request, exc.message)
        return _page(request, user, status=404)
    except ActionError as exc:
        return _page(
            request,
            user,
            errors={review_id: exc.message},
            reasons={review_id: reason},
            status=exc.status,
        )
    if decision == "approve":
        messages.success(request, gettext("照片已公开，附近上报页面可以看到它。"))
    else:
        messages.success(request, gettext("照片不公开，理由已记录。"))
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("intake_public:review_queue")
