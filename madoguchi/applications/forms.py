from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, cast

from django import forms
from django.db.models import Q
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from madoguchi.accounts.models import Department, User
from madoguchi.procedures.models import Procedure
from madoguchi.vocabulary import CLOSED_STATUSES, Channel, Identification, Status

from .models import ApplicationRead, CorrectionReply, DuplicateSuspicion
from .queries import ApplicationQuerySet

PERIODS = {"today": _("本日受付"), "week": _("今週"), "month": _("今月")}


def period_start(period: str, today: dt.date) -> dt.date:
    """The first day of 今日, 今週 (from Monday) or 今月."""
    if period == "week":
        return today - dt.timedelta(days=today.weekday())
    if period == "month":
        return today.replace(day=1)
    return today


# Dates a filter may name: the office's records lie well inside, and the database's and
# Python's date arithmetic stays safe at both ends.
FILTER_YEARS = (1900, 2999)
SORTS = [
    ("new", _("受付の新しい順")),
    ("old", _("受付の古い順")),
    ("due", _("処理期限の近い順")),
]


class TransitionForm(forms.Form):
    to_status = forms.ChoiceField(label=_("変更後のステータス"), choices=Status.choices)
    reason = forms.CharField(
        label=_("申請者へのメッセージ"), required=False, max_length=2000, widget=forms.Textarea
    )
    memo = forms.CharField(
        label=_("内部メモ"), required=False, max_length=2000, widget=forms.Textarea
    )
    # 電子決裁: what the drafter puts to the approvers (the 回議欄 prints them).
    proposal = forms.CharField(label=_("伺い文"), required=False, max_length=2000)
    review = forms.CharField(label=_("審査結果"), required=False, max_length=2000)
    include_memos = forms.BooleanField(label=_("内部メモを決裁文書に載せる"), required=False)
    # 却下 and 取下げ are shown as the applicant will read them before they are made.
    confirmed = forms.BooleanField(required=False)


def colleagues(user: User) -> Any:
    """Staff an application of this user's department may be assigned to."""
    staff = User.objects.filter(is_active=True).order_by("username")
    if user.sees_all_departments:
        return staff.exclude(department=None)
    if user.department_id is None:
        return staff.none()
    return staff.filter(department_id=user.department_id)


def colleague_choices(user: User) -> list[tuple[str, str]]:
    """(id, name) of each colleague for a 担当者 list: the two columns a name needs, not
    whole rows of staff (passwords included) on every page that lists them."""
    people = colleagues(user).only("id", "username", "display_name")
    return [(str(u.pk), str(u)) for u in people]


class PlainOptions(forms.Form):
    """A form whose choices a template writes as a plain list ({% select %},
    templatetags/plain_select.py)."""

    def options(self) -> dict[str, list[tuple[str, str, bool]]]:
        """Each choice field's (value, label, selected), for plain <option> loops: the
        widgets' own rendering (a template per option) cost more than the page's rows."""
        options = {}
        for name, field in self.fields.items():
            if isinstance(field, forms.ChoiceField):
                chosen = str(self[name].value() or "")
                choices = cast(Iterable[tuple[object, object]], field.choices)
                options[name] = [
                    (str(value), str(label), str(value) == chosen) for value, label in choices
                ]
        return options


class ApplicationFilterForm(PlainOptions):
    """Search, 手続 and 受付日: what every list of applications filters by (the inbox, the
    基幹連携 list)."""

    q = forms.CharField(label=_("検索"), required=False, max_length=100)
    procedure = forms.ChoiceField(label=_("手続"), required=False)
    received_from = forms.DateField(
        label=_("受付日(から)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    received_to = forms.DateField(
        label=_("受付日(まで)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        procedures = Procedure.objects.order_by("procedure_id").values_list(
            "procedure_id", "name", "department_id"
        )
        seen: dict[str, str] = {}
        for procedure_id, name, department_id in procedures:
            if user.sees_all_departments or department_id == user.department_id:
                seen.setdefault(procedure_id, name)
        cast(forms.ChoiceField, self.fields["procedure"]).choices = [
            ("", _("すべて")),
            *seen.items(),
        ]

    def _clean_day(self, name: str) -> dt.date | None:
        day = self.cleaned_data[name]
        if day is not None and not FILTER_YEARS[0] <= day.year <= FILTER_YEARS[1]:
            raise forms.ValidationError(
                _("%(a)d年から%(b)d年までの日付を入力してください")
                % {"a": FILTER_YEARS[0], "b": FILTER_YEARS[1]}
            )
        return cast(dt.date | None, day)

    def clean_received_from(self) -> dt.date | None:
        return self._clean_day("received_from")

    def clean_received_to(self) -> dt.date | None:
        return self._clean_day("received_to")

    def apply(self, applications: ApplicationQuerySet) -> ApplicationQuerySet:
        data = self.cleaned_data
        applications = applications.search(data["q"])
        if data["procedure"]:
            applications = applications.filter(procedure__procedure_id=data["procedure"])
        if data["received_from"]:
            applications = applications.filter(received_at__gte=_midnight(data["received_from"]))
        if data["received_to"]:
            applications = applications.filter(
                received_at__lt=_midnight(data["received_to"] + dt.timedelta(days=1))
            )
        return applications


class InboxFilterForm(ApplicationFilterForm):
    status = forms.ChoiceField(
        label=_("ステータス"),
        required=False,
        choices=[("", _("すべて")), ("open", _("処理中(未完了)")), *Status.choices],
    )
    department = forms.ModelChoiceField(
        label=_("所属"), required=False, queryset=Department.objects.all(), empty_label=_("すべて")
    )
    assignee = forms.ChoiceField(label=_("担当者"), required=False)
    overdue = forms.BooleanField(label=_("期限超過のみ"), required=False)
    identification = forms.ChoiceField(
        label=_("本人特定"),
        required=False,
        choices=[("", _("すべて")), *Identification.choices],
    )
    channel = forms.ChoiceField(
        label=_("受付経路"), required=False, choices=[("", _("すべて")), *Channel.choices]
    )
    duplicates = forms.BooleanField(label=_("重複の可能性(未確認)のみ"), required=False)
    period = forms.ChoiceField(
        label=_("受付の時期"),
        required=False,
        choices=[("", _("すべて")), *PERIODS.items()],
    )
    unread = forms.BooleanField(label=_("新着(自分が未読)のみ"), required=False)
    answered = forms.BooleanField(label=_("補正回答ありのみ"), required=False)
    sort = forms.ChoiceField(label=_("並び順"), required=False, choices=SORTS)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        # Read once: the filter's list and the bulk assignment's list show the same staff.
        self.colleague_choices = colleague_choices(user)
        cast(forms.ChoiceField, self.fields["assignee"]).choices = [
            ("", _("すべて")),
            ("me", _("自分")),
            ("none", _("未割当")),
            *self.colleague_choices,
        ]
        if not user.sees_all_departments:
            del self.fields["department"]

    def apply(self, applications: ApplicationQuerySet) -> ApplicationQuerySet:
        data = self.cleaned_data
        applications = super().apply(applications)
        if data["status"] == "open":
            applications = applications.exclude(status__in=sorted(CLOSED_STATUSES))
        elif data["status"]:
            applications = applications.filter(status=data["status"])
        if data.get("department"):
            applications = applications.filter(procedure__department=data["department"])
        if data["assignee"] == "me":
            applications = applications.filter(assignee=self.user)
        elif data["assignee"] == "none":
            applications = applications.filter(assignee__isnull=True)
        elif data["assignee"]:
            applications = applications.filter(assignee_id=int(data["assignee"]))
        if data["overdue"]:
            applications = applications.overdue(timezone.localdate())
        if data["identification"]:
            applications = applications.filter(identification=data["identification"])
        if data["channel"]:
            applications = applications.filter(channel=data["channel"])
        if data["duplicates"]:
            unsettled = DuplicateSuspicion.objects.filter(settled_at__isnull=True)
            applications = applications.filter(
                Q(id__in=unsettled.values("first_id")) | Q(id__in=unsettled.values("second_id"))
            )
        if data["period"]:
            # Relative, so that a saved search of 今週 is this week's next week too.
            start = period_start(data["period"], timezone.localdate())
            applications = applications.filter(received_at__gte=_midnight(start))
        if data["unread"]:
            applications = applications.exclude(
                id__in=ApplicationRead.objects.filter(user=self.user).values("application_id")
            )
        if data["answered"]:
            applications = applications.open_only().filter(
                id__in=CorrectionReply.objects.values("application_id"),
            )
        return applications


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=timezone.get_current_timezone())


class BulkForm(forms.Form):
    """Several applications at once: a status change or an assignment."""

    receipt_numbers = forms.MultipleChoiceField(label=_("対象の申請"))
    action = forms.ChoiceField(
        choices=[("transition", _("ステータス変更")), ("assign", _("担当者の割当"))]
    )
    to_status = forms.ChoiceField(required=False, choices=[("", "—"), *Status.choices])
    assignee = forms.ChoiceField(required=False)
    reason = forms.CharField(required=False, max_length=2000)
    # The list of a decision on applications not opened since they changed was read.
    confirmed = forms.BooleanField(required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["receipt_numbers"]).choices = [
            (r, r) for r in cast(QueryDict, self.data).getlist("receipt_numbers")[:200]
        ]
        cast(forms.ChoiceField, self.fields["assignee"]).choices = [
            ("", "—"),
            ("none", _("未割当にする")),
            *colleague_choices(user),
        ]


class AssignForm(PlainOptions):
    assignee = forms.ChoiceField(label=_("担当者"), required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["assignee"]).choices = [
            ("", _("担当なし")),
            *colleague_choices(user),
        ]


class SavedFilterForm(forms.Form):
    name = forms.CharField(label=_("名前"), max_length=50)
    query = forms.CharField(max_length=1000, required=False)


class ResolveForm(forms.Form):
    # A candidate picked from a list (its 宛名番号), else a 宛名番号 or 住民票コード typed in.
    candidate = forms.CharField(required=False, max_length=20)
    resident = forms.CharField(label=_("宛名番号または住民票コード"), required=False, max_length=20)
    note = forms.CharField(label=_("確認した内容"), max_length=500)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("candidate") and not data.get("resident"):
            raise forms.ValidationError(_("住民を選ぶか、宛名番号を入力してください"))
        return data
