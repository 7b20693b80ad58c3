"""発送簿 on screen: the letters sent for the department's applications, and 返戻 (returned
mail) marked where it came back."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from madoguchi.accounts.access import staff_user
from madoguchi.applications.applicant_text import rejection_notice
from madoguchi.applications.models import Application
from madoguchi.lib.wareki import to_wareki
from madoguchi.procedures.models import Procedure

from .actions import RETURN_REASONS, LetterItem, letter_body, mark_returned, save_document_settings
from .models import TOKENS, AddressRule, DocumentSettings, Letter, LetterKind
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
            "today": to_wareki(timezone.localdate()),
            "document": document,
        },
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="preview-{kind}.pdf"'
    return response
