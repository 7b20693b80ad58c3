from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .constants import Status


class TransitionForm(forms.Form):
    to_status = forms.ChoiceField(label=_("変更後のステータス"), choices=Status.choices)
    reason = forms.CharField(
        label=_("理由"), required=False, max_length=2000, widget=forms.Textarea
    )


class InboxFilterForm(forms.Form):
    q = forms.CharField(label=_("検索"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("ステータス"), required=False, choices=[("", _("すべて")), *Status.choices]
    )


class ResolveForm(forms.Form):
    resident = forms.CharField(label=_("宛名番号または住民票コード"), max_length=20)
    note = forms.CharField(label=_("確認した内容"), max_length=500)
