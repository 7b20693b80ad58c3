"""発送簿 on screen: the letters sent for the department's applications, and 返戻 (returned
mail) marked where it came back."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from madoguchi.accounts.access import staff_user
from madoguchi.applications.applicant_text import rejection_notice
from madoguchi.applications.forms import InboxFilterForm
from madoguchi.applications.models import Application
from madoguchi.lib.wareki import to_wareki
from madoguchi.procedures.models import Procedure

from .actions import (
    RETURN_REASONS,
    LetterItem,
    download_letters,
    letter_body,
    mark_returned,
    request_letters,
    save_document_settings,
)
from .models import TOKENS, AddressRule, DocumentSettings, Letter, LetterKind, LetterRun
from .pdf import render_pdf

PAGE_SIZE = 100


@login_required
def letter_list(request: HttpRequest) -> HttpResponse:
    letters = (
        Letter.objects.filter(application__in=Application.objects.visible_to(staff_user(request)))
        .select_related("application__procedure")
        .defer("pdf")
        .order_by("-sent_on", "batch", "id")
    )
    batch = request.GET.get("batch", "")
    if batch:
        letters = letters.filter(batch=batch)
    if request.GET.get("returned"):
        letters = letters.exclude(returned_on=None)
    return render(
        request,
        "notices/letters_list.html",
        {
            "page": Paginator(letters, PAGE_SIZE).get_page(request.GET.get("page")),
            "batch": batch,
            "reasons": RETURN_REASONS,
            "today": timezone.localdate().isoformat(),
        },
    )


@login_required
@require_POST
def letter_returned(request: HttpRequest, letter_id: int) -> HttpResponse:
    user = staff_user(request)
    letter = get_object_or_404(
        Letter.objects.filter(application__in=Application.objects.visible_to(user)),
        pk=letter_id,
    )
    try:
        day = dt.date.fromisoformat(request.POST.get("returned_on", ""))
    except ValueError:
        messages.error(request, _("返戻日を正しく入力してください"))
        return redirect("notices:letters")
    reason = request.POST.get("reason", "")
    if reason not in RETURN_REASONS:
        messages.error(request, _("返戻の理由を選んでください"))
        return redirect("notices:letters")
    mark_returned(letter.pk, day, reason, actor=user)
    messages.success(
        request,
        _("受付番号 %(r)s の通知を返戻として記録しました")
        % {"r": letter.application.receipt_number},
    )
    return redirect("notices:letters")


class DocumentSettingsForm(forms.ModelForm):
    class Meta:
        model = DocumentSettings
        fields = ["municipality", "sender", "seal", "contact", "kairan"]
        widgets = {"contact": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        instance = self.instance
        for kind in LetterKind:
            self.fields[f"text-{kind.value}"] = forms.CharField(
                label=_("%(kind)s の本文") % {"kind": kind.label},
                initial=instance.text_for(kind),
                widget=forms.Textarea(attrs={"rows": 3}),
                max_length=2000,
            )
            self.fields[f"rule-{kind.value}"] = forms.ChoiceField(
                label=_("%(kind)s の送付先") % {"kind": kind.label},
                choices=AddressRule.choices,
                initial=instance.rule_for(kind),
            )

    def values(self) -> dict[str, object]:
        data = self.cleaned_data
        return {
            **{f: data[f] for f in self.Meta.fields},
            "texts": {k.value: data[f"text-{k.value}"] for k in LetterKind},
            "address_rules": {k.value: data[f"rule-{k.value}"] for k in LetterKind},
        }


def _editor(request: HttpRequest) -> object:
    user = staff_user(request)
    if not user.may_edit_documents:
        raise PermissionDenied(_("帳票の設定はシステム管理者が行います"))
    return user


@login_required
def document_settings(request: HttpRequest) -> HttpResponse:
    """帳票の設定: what every letter and print view says of the municipality; each save is a
    new version, the letters already sent keep theirs."""
    user = _editor(request)
    current = DocumentSettings.current()
    form = DocumentSettingsForm(
        request.POST or None,
        instance=DocumentSettings(
            **{f: getattr(current, f) for f in DocumentSettingsForm.Meta.fields},
            texts=current.texts,
            address_rules=current.address_rules,
        ),
    )
    if request.method == "POST" and form.is_valid():
        saved = save_document_settings(form.values(), actor=user)  # type: ignore[arg-type]
        messages.success(request, _("帳票の設定を保存しました(版 %(v)d)") % {"v": saved.version})
        return redirect("notices:settings")
    return render(
        request,
        "notices/settings.html",
        {
            "form": form,
            "current": current,
            "versions": DocumentSettings.objects.select_related("created_by")[:20],
            "tokens": TOKENS,
            "kinds": list(LetterKind),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def document_preview(request: HttpRequest, kind: str) -> HttpResponse:
    """A sample letter of the kind with the current settings (made-up applicant)."""
    _editor(request)
    if kind not in LetterKind.values:
        raise Http404
    document = DocumentSettings.current()
    procedure = Procedure.current(["jidou-teate-nintei"]).get("jidou-teate-nintei")
    if procedure is None:
        procedure = Procedure.objects.first()
    if procedure is None:
        raise Http404(_("手続カタログが読み込まれていません"))
    sample = Application(
        receipt_number="0000000000000000",
        procedure=procedure,
        submitted_at=timezone.now(),
        received_at=timezone.now(),
    )
    item = LetterItem(
        number=1,
        application=sample,
        name=_("見本　太郎"),
        postal="100-0000",
        address=_("(送付先の住所)"),
        source="見本",
        reason=_("(申請者へのメッセージ)"),
        notice=rejection_notice(procedure) if kind == LetterKind.REJECTION else "",
        arrived=to_wareki(timezone.localdate()),
        body=letter_body(document.text_for(kind), sample),
    )
    pdf = render_pdf(
        "notices/letters.html",
        {
            "kind": LetterKind(kind),
            "letters": [item],
            "total": 1,
            "today": to_wareki(timezone.localdate()),
            "document": document,
        },
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="preview-{kind}.pdf"'
    return response


def _sender(request: HttpRequest) -> Any:
    user = staff_user(request)
    if not (user.may_file_applications or user.sees_all_departments):
        raise PermissionDenied(_("通知書の作成は所属の職員が行います"))
    return user


def _runs_of(user: Any) -> Any:
    runs = LetterRun.objects.select_related("requested_by")
    return runs if user.sees_all_departments else runs.filter(department_id=user.department_id)


class BatchForm(forms.Form):
    kind = forms.ChoiceField(label=_("種類"), choices=LetterKind.choices)
    day = forms.DateField(
        label=_("対象の日(受付日・ステータス変更の日)"), widget=forms.DateInput({"type": "date"})
    )
    procedure = forms.ChoiceField(label=_("手続"), required=False)
    message = forms.CharField(
        label=_("お知らせの本文(お知らせのとき)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == LetterKind.GENERAL and not data.get("message", "").strip():
            self.add_error("message", _("お知らせの本文を入力してください"))
        return data

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["procedure"].choices = [  # type: ignore[attr-defined]
            ("", _("すべて")),
            *(
                (p.procedure_id, p.name)
                for p in sorted(Procedure.current().values(), key=lambda p: p.procedure_id)
                if user.sees_all_departments or p.department_id == user.department_id
            ),
        ]


# Letters chosen through an inbox filter, at most.
FROM_INBOX_LIMIT = 2000


def _from_inbox(user: Any, query: str) -> list[str] | None:
    """The receipt numbers an inbox filter (its query string) selects, within the
    department; None when no filter was given."""
    if not query:
        return None
    form = InboxFilterForm(QueryDict(query), user=user)
    if not form.is_valid():
        return []
    chosen = form.apply(Application.objects.visible_to(user)).order_by("received_at", "id")
    return list(chosen.values_list("receipt_number", flat=True)[: FROM_INBOX_LIMIT + 1])


@login_required
def letter_batch(request: HttpRequest) -> HttpResponse:
    """通知書の作成: choose the kind, and the day (and procedure) or the inbox's current filter;
    the worker makes the letters and the 発送簿, and the run's page shows the progress and then
    the files."""
    user = _sender(request)
    source = (request.POST.get("from") or request.GET.get("from", ""))[:2000]
    chosen = _from_inbox(user, source)
    form = BatchForm(
        request.POST or None, user=user, initial={"day": timezone.localdate().isoformat()}
    )
    too_many = chosen is not None and len(chosen) > FROM_INBOX_LIMIT
    if request.method == "POST" and form.is_valid() and not too_many:
        run = request_letters(
            LetterKind(form.cleaned_data["kind"]),
            form.cleaned_data["day"],
            form.cleaned_data["procedure"],
            actor=user,
            message=form.cleaned_data["message"],
            receipt_numbers=chosen,
        )
        return redirect("notices:run", pk=run.pk)
    return render(
        request,
        "notices/batch.html",
        {
            "form": form,
            "runs": _runs_of(user)[:20],
            "source": source,
            "chosen": chosen,
            "too_many": too_many,
            "limit": FROM_INBOX_LIMIT,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def letter_run(request: HttpRequest, pk: int) -> HttpResponse:
    """One batch: its progress while the worker makes it (htmx asks again every second),
    then its files."""
    user = _sender(request)
    run = get_object_or_404(_runs_of(user), pk=pk)
    template = "notices/_run.html" if request.headers.get("HX-Request") else "notices/run.html"
    return render(request, template, {"run": run})


@login_required
def letter_run_file(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    user = _sender(request)
    run = get_object_or_404(_runs_of(user), pk=pk)
    try:
        content = download_letters(run, name, reader=user)
    except FileNotFoundError as exc:
        raise Http404 from exc
    kind = "application/pdf" if name.endswith(".pdf") else "text/csv; charset=cp932"
    response = HttpResponse(content, content_type=kind)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response
