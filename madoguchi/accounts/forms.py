"""Input of the staff administration screens (職員・所属)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from madoguchi.vocabulary import Role

from .models import Department


def form_errors(form: forms.Form) -> str:
    """A refused form's messages on one line, for a message above the page."""
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


def open_departments() -> Any:
    return Department.objects.filter(merged_into=None).order_by("code")


class StaffForm(forms.Form):
    username = forms.CharField(label=_("ユーザー名"), max_length=150)
    display_name = forms.CharField(label=_("氏名"), max_length=100)
    display_name_kana = forms.CharField(label=_("氏名(カナ)"), max_length=100, required=False)
    email = forms.EmailField(label=_("メールアドレス"), required=False)
    department = forms.ModelChoiceField(
        label=_("所属"),
        queryset=Department.objects.none(),
        required=False,
        empty_label=_("(なし: システム管理者)"),
    )
    role = forms.ChoiceField(label=_("役割"), choices=Role.choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = open_departments()  # type: ignore[attr-defined]


class DetailsForm(forms.Form):
    display_name = forms.CharField(label=_("氏名"), max_length=100)
    display_name_kana = forms.CharField(label=_("氏名(カナ)"), max_length=100, required=False)
    email = forms.EmailField(label=_("メールアドレス"), required=False)


class CounterForm(forms.Form):
    """総合窓口: the 課 (besides their own) whose procedures a member files at the counter."""

    files_for = forms.ModelMultipleChoiceField(
        label=_("受付できるほかの課(総合窓口)"),
        queryset=Department.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["files_for"].queryset = open_departments()  # type: ignore[attr-defined]


class MoveForm(forms.Form):
    department = forms.ModelChoiceField(
        label=_("異動先の所属"),
        queryset=Department.objects.none(),
        required=False,
        empty_label=_("(変えない)"),
    )
    role = forms.ChoiceField(
        label=_("新しい役割"), choices=[("", _("(変えない)")), *Role.choices], required=False
    )
    effective_from = forms.DateField(
        label=_("発令日"),
        required=False,
        help_text=_("空欄なら今すぐ。先の日付なら、その日から新しい所属・役割になります。"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = open_departments()  # type: ignore[attr-defined]


class ImportForm(forms.Form):
    file = forms.FileField(label=_("人事課の職員一覧 (CSV)"))


class DepartmentForm(forms.Form):
    code = forms.CharField(label=_("所属コード"), max_length=40)
    name = forms.CharField(label=_("所属名"), max_length=100)


class RenameForm(forms.Form):
    name = forms.CharField(label=_("新しい所属名"), max_length=100)


class MergeForm(forms.Form):
    into = forms.ModelChoiceField(label=_("統合先"), queryset=Department.objects.none())
    # A merge cannot be undone: said, and confirmed, before it is done.
    confirm = forms.BooleanField(
        label=_("元に戻せないことを確認しました"),
        error_messages={"required": _("統合は元に戻せません。確認の欄に印を付けてください")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["into"].queryset = open_departments()  # type: ignore[attr-defined]
