"""One application: the detail page and what a clerk does there (status, manual match,
個人番号, assignment, 補正 accepted, duplicates compared)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from madoguchi.accounts.access import staff_user
from madoguchi.accounts.models import User
from madoguchi.applications.actions.corrections import accept_held_correction
from madoguchi.applications.actions.duplicates import settle_duplicate
from madoguchi.applications.actions.filing import may_file
from madoguchi.applications.actions.identification import (
    MANUAL_MATCH_FROM,
    resolve_identification,
    search_registry,
)
from madoguchi.applications.actions.reads import (
    record_view,
    reveal_form_my_numbers,
)
from madoguchi.applications.actions.workflow import (
    allowed_transitions,
    assign,
    change_status,
    closed_days,
)
from madoguchi.lib.jpki import ERA_CODES, BasicFour, era_agrees
from madoguchi.lib.mynumber import MASKED
from madoguchi.procedures.schema import display_rows, field_warnings, key_labels
from madoguchi.residents.actions import my_number_matches, prefecture_resident, reveal_my_number
from madoguchi.residents.identification import candidates
from madoguchi.residents.models import Resident
from madoguchi.vocabulary import (
    CONFIRM_FIRST,
    MAY_MOVE_TO,
    REASON_REQUIRED,
    Channel,
    Sex,
    Status,
)
from madoguchi.web import bad_request, refusals_as_messages

from ..access import access_application
from ..actions.decisions import draft_decision, waiting_step
from ..applicant_text import (
    applicant_message,
)
from ..forms import (
    AssignForm,
    ResolveForm,
    TransitionForm,
    colleagues,
)
from ..models import (
    PACKAGE_COLUMNS,
    Application,
    ApprovalRoute,
    DuplicateSuspicion,
    Evidence,
)
from ..sealing import my_number_keys
from ..timeline import timeline
from .attachments import INLINE_TYPES, PDF
from .decisions import decisions_of, routed_statuses
from .inbox import TRAIL, days_left


def _comparison(application: Application, basic_four: BasicFour) -> list[dict[str, str]]:
    """The certificate's 基本4情報 beside the registry's, as a clerk reads them."""

    def sex(code: str) -> str:
        return str(Sex(code).label) if code in Sex.values else code

    def with_substitutes(value: str, positions: frozenset[int] | None) -> str:
        return f"{value} ({_('代替文字あり')})" if positions is None or positions else value

    birth_date = basic_four.birth_date or basic_four.raw_birth_date
    if basic_four.era in ERA_CODES and basic_four.birth_date:
        birth_date = f"{birth_date} ({_('元号区分')} {ERA_CODES[basic_four.era]})"
        if not era_agrees(basic_four.era, basic_four.birth_date):
            # The card's own two readings disagree: the clerk checks the date with the person.
            birth_date += " " + _("※元号区分が生年月日の元号と一致しません")
    resident = application.resident
    rows = [
        (
            _("氏名"),
            with_substitutes(basic_four.name, basic_four.name_positions),
            resident.name if resident else "",
        ),
        (_("生年月日"), birth_date, resident.birth_date.isoformat() if resident else ""),
        (_("性別"), sex(basic_four.sex), sex(resident.sex) if resident else ""),
        (
            _("住所"),
            with_substitutes(basic_four.address, basic_four.address_positions),
            resident.address if resident else "",
        ),
    ]
    return [{"item": item, "certificate": c, "registry": r} for item, c, r in rows]


def _registry_search(
    request: HttpRequest, application: Application, user: User
) -> dict[str, Any] | None:
    """The resident search of the manual match, when asked for (?birth=YYYY-MM-DD&who=…)."""
    birth = request.GET.get("birth", "")
    if not birth:
        return None
    who = request.GET.get("who", "").strip()[:100]
    try:
        day = dt.date.fromisoformat(birth)
    except ValueError:
        return {"who": who, "birth": birth, "error": _("生年月日を正しく入力してください")}
    return {"who": who, "birth": birth, "found": search_registry(application, user, who, day)}


# The package bytes stay in the database: screens show their hash and certificate.


def _my_number_check(application: Application) -> tuple[str, bool] | None:
    """(the applicant's 個人番号 item, whether it is the registry's number) when the form
    has one and the registry holds the identified resident's: 番号確認 without a reveal."""
    key = application.procedure.field_for("applicant.my_number")
    if not key or application.resident is None or application.form_errors.get(key):
        return None
    value = application.form_with_my_numbers().get(key, "")
    matches = my_number_matches(application.resident, value) if value else None
    return None if matches is None else (key, matches)


def _trail(request: HttpRequest, application: Application) -> dict[str, str | None]:
    """The list the clerk came from and the applications before and after this one in it
    (its filters kept), for 前へ/次へ."""
    trail = request.session.get(TRAIL) or {}
    receipts = trail.get("receipts") or []
    here = application.receipt_number
    if here not in receipts:
        return {"list": trail.get("list"), "previous": None, "next": None}
    at = receipts.index(here)
    return {
        "list": trail.get("list"),
        "previous": receipts[at - 1] if at > 0 else None,
        "next": receipts[at + 1] if at + 1 < len(receipts) else None,
    }


def _render_detail(
    request: HttpRequest,
    application: Application,
    *,
    my_number: str | None = None,
    revealed_form: dict[str, str] | None = None,
) -> HttpResponse:
    user = staff_user(request)
    evidence = Evidence.objects.filter(application=application).defer(*PACKAGE_COLUMNS).first()
    basic_four = (
        BasicFour.from_dict(evidence.signer_basic_four)
        if evidence and evidence.signer_basic_four
        else None
    )
    # 個人番号 items show the mask the form keeps, unless a reveal was just recorded.
    shown = application.form if revealed_form is None else revealed_form
    warnings = field_warnings(application.procedure.fields, shown)
    confirmed = {}
    check = _my_number_check(application)
    if check and check[1]:
        confirmed[check[0]] = _("住民記録の個人番号と一致しています")
    elif check:
        warnings[check[0]] = [_("住民記録の個人番号と一致しません。番号を確かめてください")]
    fields = [
        row | {"warnings": warnings.get(row["id"], []), "confirmed": confirmed.get(row["id"])}
        for row in display_rows(application.procedure.fields, shown, application.form_errors)
    ]
    resolvable = application.identification in MANUAL_MATCH_FROM and user.may_resolve_identification
    resident = application.resident
    labels = key_labels(application.procedure.fields, application.form)
    replies = list(application.correction_replies.all())
    for reply in replies:
        labels = key_labels(application.procedure.fields, reply.previous_form) | labels
    return render(
        request,
        "applications/detail.html",
        {
            "application": application,
            "evidence": evidence,
            "fields": fields,
            "transitions": allowed_transitions(application, user),
            "trail": _trail(request, application),
            "prefecture_mode": settings.PREFECTURE_MODE,
            "comments": application.comments.select_related("author"),
            # 電子決裁: the decisions routed through approvers, and where each stands.
            "routed": routed_statuses(application),
            "decisions": decisions_of(application, user),
            # The hand-over's deliveries (linking), through their reverse relation.
            "deliveries": application.deliveries.all(),
            "correction_replies": [
                {
                    "reply": reply,
                    "changes": [
                        (labels.get(k, k), before, after) for k, before, after in reply.changes
                    ],
                }
                for reply in replies
            ],
            "assign_options": AssignForm(
                initial={"assignee": str(application.assignee_id or "")}, user=user
            ).options()["assignee"],
            "attachments": [
                {"index": i, **a, "inline": a["media_type"] in INLINE_TYPES | {PDF}}
                for i, a in enumerate(application.attachments)
            ],
            "reason_required": [s.value for s in REASON_REQUIRED],
            "timeline": timeline(application),
            "comparison": _comparison(application, basic_four) if basic_four else [],
            "resolvable": resolvable,
            "manual_match_needed": application.identification in MANUAL_MATCH_FROM,
            "may_accept_corrections": user.may_resolve_identification,
            "candidates": candidates(basic_four) if resolvable else [],
            "registry_search": _registry_search(request, application, user) if resolvable else None,
            "days_left": days_left(
                application,
                application.procedure.processing_unit,
                timezone.localdate(),
                closed_days(),
            ),
            "duplicates": _duplicates_of(application),
            "may_receive_signature": application.channel != Channel.ONLINE
            and may_file(user, application.procedure),
            "has_my_number": bool(resident and resident.my_number_encrypted is not None),
            "my_number_masked": MASKED,
            "my_number": my_number,
            "may_read_my_number": user.may_read_my_number,
            "sealed_items": bool(my_number_keys(application.procedure.fields, application.form)),
            "form_revealed": revealed_form is not None,
        },
    )


def _duplicates_of(application: Application) -> list[dict[str, Any]]:
    suspicions = DuplicateSuspicion.objects.filter(Q(first=application) | Q(second=application))
    # Most applications have none: asking costs a sixth of building the five joins.
    if not suspicions.exists():
        return []
    return [
        {"suspicion": s, "other": s.other(application), "blocking": s.blocks(application)}
        for s in suspicions.select_related(
            "first", "second", "settled_by", "first__procedure", "second__procedure"
        )
    ]


@login_required
def duplicate_compare(request: HttpRequest, receipt_number: str, pk: int) -> HttpResponse:
    """重複の可能性: the two applications side by side, item by item, and the settling form
    (both valid, or one withdrawn, with a reason). Showing both is a read of each."""
    user = staff_user(request)
    application = access_application(user, receipt_number)
    suspicion = get_object_or_404(
        DuplicateSuspicion.objects.filter(Q(first=application) | Q(second=application)), pk=pk
    )
    other = access_application(user, suspicion.other(application).receipt_number)
    if request.method == "POST":
        choice = request.POST.get("withdraw", "")
        pair = {a.receipt_number: a for a in (application, other)}
        if choice and choice not in pair:
            return bad_request(request, _("取り下げる申請が正しくありません"))
        withdraw = pair.get(choice)
        with refusals_as_messages(request):
            settle_duplicate(
                suspicion.pk,
                actor=user,
                withdraw=withdraw,
                reason=request.POST.get("reason", "")[:2000],
            )
            messages.success(request, _("重複の可能性を確認済みにしました"))
            return redirect("applications:detail", receipt_number=receipt_number)
        return redirect(request.path)
    record_view(application, user)
    record_view(other, user)
    labels = key_labels(other.procedure.fields, other.form) | key_labels(
        application.procedure.fields, application.form
    )
    ids = list(labels)
    rows = [
        {
            "label": labels.get(i, i),
            "this": application.form.get(i, ""),
            "other": other.form.get(i, ""),
            "differs": application.form.get(i, "") != other.form.get(i, ""),
        }
        for i in ids
    ]
    return render(
        request,
        "applications/duplicate.html",
        {
            "application": application,
            "other": other,
            "suspicion": suspicion,
            "rows": rows,
            "may_settle": not suspicion.is_settled
            and user.role in MAY_MOVE_TO[Status.READY_FOR_HANDOFF],
        },
    )


@login_required
def application_detail(request: HttpRequest, receipt_number: str) -> HttpResponse:
    user = staff_user(request)
    application = access_application(user, receipt_number)
    record_view(application, user)
    return _render_detail(request, application)


@login_required
@require_POST
def application_my_number(request: HttpRequest, receipt_number: str) -> HttpResponse:
    """Show the applicant's 個人番号 once, to a role that may read it; the read is audited.
    ``source=form``: the 個人番号 items of the application form instead of the registry's."""
    user = staff_user(request)
    application = access_application(user, receipt_number)
    if request.POST.get("source") == "form":
        revealed = reveal_form_my_numbers(
            application, viewer=user, purpose=f"application:{receipt_number}"
        )
        return _render_detail(request, application, revealed_form=revealed)
    if application.resident is None or not user.may_read_my_number:
        raise PermissionDenied
    number = reveal_my_number(
        application.resident, viewer=user, purpose=f"application:{receipt_number}"
    )
    return _render_detail(request, application, my_number=number)


@login_required
@require_POST
def application_transition(request: HttpRequest, receipt_number: str) -> HttpResponse:
    user = staff_user(request)
    application = access_application(user, receipt_number)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("入力内容を確認してください"))
        return redirect("applications:detail", receipt_number=receipt_number)
    to_status = Status(form.cleaned_data["to_status"])
    reason, memo = form.cleaned_data["reason"], form.cleaned_data["memo"]
    if to_status in CONFIRM_FIRST and not form.cleaned_data["confirmed"]:
        if not reason.strip():
            messages.error(
                request, _("「%(to)s」には理由の入力が必要です") % {"to": to_status.label}
            )
            return redirect("applications:detail", receipt_number=receipt_number)
        return render(
            request,
            "applications/confirm_transition.html",
            {
                "application": application,
                "to_status": to_status,
                "reason": reason,
                "memo": memo,
                "proposal": form.cleaned_data["proposal"],
                "review": form.cleaned_data["review"],
                "include_memos": form.cleaned_data["include_memos"],
                "routed": ApprovalRoute.for_decision(application, to_status) is not None,
                "preview": applicant_message(application.procedure, to_status, reason),
            },
        )
    with refusals_as_messages(request):
        if ApprovalRoute.for_decision(application, to_status) is None:
            change_status(application.pk, to_status, actor=user, reason=reason, memo=memo)
            messages.success(
                request, _("ステータスを「%(s)s」に変更しました") % {"s": to_status.label}
            )
        else:
            decision = draft_decision(
                application.pk,
                to_status,
                actor=user,
                reason=reason,
                proposal=form.cleaned_data["proposal"],
                review=form.cleaned_data["review"],
                include_memos=form.cleaned_data["include_memos"],
            )
            step = waiting_step(decision)
            messages.success(
                request,
                _("「%(s)s」を起案しました(決裁中: %(title)s承認待ち)")
                % {"s": to_status.label, "title": step.title if step else ""},
            )
    return redirect("applications:detail", receipt_number=receipt_number)


@login_required
@require_POST
def application_resolve(request: HttpRequest, receipt_number: str) -> HttpResponse:
    user = staff_user(request)
    application = access_application(user, receipt_number)
    # The role first: who may not match must not learn whether a 宛名番号 exists.
    if not user.may_resolve_identification:
        raise PermissionDenied(_("本人特定を確定できるのは審査担当です"))
    form = ResolveForm(request.POST)
    resident = None
    if form.is_valid():
        # A candidate picked from a list, or a number typed in.
        code = form.cleaned_data["candidate"] or form.cleaned_data["resident"]
        if settings.PREFECTURE_MODE and code:
            # No registry: the prefecture's 宛名番号 names the resident, kept from the card.
            evidence = Evidence.objects.filter(application=application).first()
            four = BasicFour.from_dict(evidence.signer_basic_four) if evidence else None
            with refusals_as_messages(request):
                resident = prefecture_resident(code, four)
            if resident is None:
                return redirect("applications:detail", receipt_number=receipt_number)
        resident = (
            resident
            or Resident.objects.filter(atena_number=code).first()
            or (Resident.objects.filter(resident_code=code).first())
        )
    if resident is None:
        messages.error(request, _("宛名番号または住民票コードに該当する住民がいません"))
        return redirect("applications:detail", receipt_number=receipt_number)
    with refusals_as_messages(request):
        resolve_identification(application.pk, resident, actor=user, note=form.cleaned_data["note"])
        messages.success(request, _("%(name)s として本人を特定しました") % {"name": resident.name})
    return redirect("applications:detail", receipt_number=receipt_number)


@login_required
@require_POST
def correction_accept(request: HttpRequest, receipt_number: str, reply_id: int) -> HttpResponse:
    """A reviewer takes a 補正 answer held for its signer into the application."""
    user = staff_user(request)
    application = access_application(user, receipt_number)
    reply = get_object_or_404(application.correction_replies, pk=reply_id)
    with refusals_as_messages(request):
        accept_held_correction(reply.pk, actor=user)
        messages.success(request, _("補正の回答を採用しました"))
    return redirect("applications:detail", receipt_number=receipt_number)


@login_required
@require_POST
def application_assign(request: HttpRequest, receipt_number: str) -> HttpResponse:
    user = staff_user(request)
    application = access_application(user, receipt_number)
    form = AssignForm(request.POST, user=user)
    if not form.is_valid():
        messages.error(request, _("担当者を選び直してください"))
        return redirect("applications:detail", receipt_number=receipt_number)
    chosen = form.cleaned_data["assignee"]
    assignee = colleagues(user).get(pk=int(chosen)) if chosen else None
    with refusals_as_messages(request):
        assign(application.pk, assignee, actor=user)
        messages.success(
            request,
            _("担当者を %(name)s にしました") % {"name": assignee}
            if assignee
            else _("担当者を外しました"),
        )
    return redirect("applications:detail", receipt_number=receipt_number)
