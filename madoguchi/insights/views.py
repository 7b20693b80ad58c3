"""The manager's dashboard (業務の見える化) and the 付録2 方式 chooser: read-only screens over
insights/queries.py and lib/method_costs.py, each chart beside its numbers as a table, and
each table as a CSV."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from madoguchi.accounts.access import staff_user
from madoguchi.accounts.models import Department, User
from madoguchi.lib.card_issuance import place_of
from madoguchi.lib.cells import spreadsheet_csv
from madoguchi.lib.method_costs import Choice, InputError, Method, choose
from madoguchi.procedures.models import Procedure
from madoguchi.vocabulary import Channel, Identification, Status, labels_of

from . import queries
from .methods import measured_volume
from .models import CardIssuance, RefreshState


@dataclass
class Chart:
    """One chart and the table that says the same in numbers (and goes out as CSV)."""

    id: str
    title: str
    kind: str  # bar | line
    labels: list[str]
    series: list[dict[str, Any]]
    columns: list[str]
    rows: list[list[Any]]
    stacked: bool = False
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "labels": self.labels,
            "series": self.series,
            "stacked": self.stacked,
        }


def _reader(request: HttpRequest) -> User:
    user = staff_user(request)
    if not user.may_read_insights:
        raise PermissionDenied(_("業務の見える化は所属長とシステム管理者が見られます"))
    return user


class PeriodForm(forms.Form):
    start = forms.DateField(
        label=gettext_lazy("期間(から)"), required=False, widget=forms.DateInput({"type": "date"})
    )
    end = forms.DateField(
        label=gettext_lazy("期間(まで)"), required=False, widget=forms.DateInput({"type": "date"})
    )
    grain = forms.ChoiceField(
        label=gettext_lazy("単位"),
        required=False,
        choices=[
            ("month", gettext_lazy("月")),
            ("week", gettext_lazy("週")),
            ("day", gettext_lazy("日")),
        ],
    )
    department = forms.ModelChoiceField(
        label=gettext_lazy("所属"),
        required=False,
        queryset=Department.objects.order_by("code"),
        empty_label=gettext_lazy("すべて"),
    )
    procedure = forms.ChoiceField(label=gettext_lazy("受付件数の手続"), required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = Procedure.current().values()
        self.fields["procedure"].choices = [  # type: ignore[attr-defined]
            ("", _("すべて")),
            *(
                (p.procedure_id, p.name)
                for p in sorted(current, key=lambda p: p.procedure_id)
                if user.sees_all_departments or p.department_id == user.department_id
            ),
        ]
        if not user.sees_all_departments:
            del self.fields["department"]

    def period(self, today: dt.date) -> tuple[dt.date, dt.date, str]:
        data = self.cleaned_data if self.is_valid() else {}
        end = data.get("end") or today
        start = data.get("start") or (end.replace(day=1) - dt.timedelta(days=335)).replace(day=1)
        start, end = min(start, end), max(start, end)
        if (end - start).days > 366 * 10:
            start = end - dt.timedelta(days=366 * 10)
        return start, end, data.get("grain") or "month"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


def _period_label(day: dt.date, grain: str) -> str:
    if grain == "month":
        return day.strftime("%Y-%m")
    return day.isoformat()


def _charts(
    scope: queries.Scope, start: dt.date, end: dt.date, grain: str, procedure_id: str = ""
) -> list[Chart]:
    channels = [(c.value, str(c.label)) for c in Channel]
    volume = queries.volume(scope, start, end, grain, procedure_id)
    labels = [_period_label(p, grain) for p in volume.periods]
    charts = [
        Chart(
            id="volume",
            title=_("受付件数(受付経路別)"),
            kind="bar",
            stacked=True,
            labels=labels,
            series=[{"label": name, "data": volume.by_channel[code]} for code, name in channels],
            columns=[_("期間"), *(name for _c, name in channels), _("計"), _("オンライン率")],
            rows=[
                [
                    label,
                    *(volume.by_channel[code][i] for code, _n in channels),
                    volume.totals[i],
                    _percent(volume.online_share[i]),
                ]
                for i, label in enumerate(labels)
            ],
        )
    ]
    figures = queries.per_procedure(scope, start, end)
    charts.append(
        Chart(
            id="procedures",
            title=_("手続別: 受付・オンライン率・補正率・到達から完了まで"),
            kind="bar",
            stacked=True,
            labels=[f.name for f in figures],
            series=[
                {"label": name, "data": [f.received[code] for f in figures]}
                for code, name in channels
            ],
            columns=[
                _("手続"),
                *(name for _c, name in channels),
                _("計"),
                _("オンライン率"),
                _("完了"),
                _("補正依頼"),
                _("補正率"),
                _("完了まで(中央値・日)"),
                _("完了まで(90%・日)"),
            ],
            rows=[
                [
                    f.name,
                    *(f.received[code] for code, _n in channels),
                    f.total,
                    _percent(f.online_share),
                    f.completed,
                    f.corrections,
                    _percent(f.correction_rate),
                    "—" if f.median_days is None else f.median_days,
                    "—" if f.p90_days is None else f.p90_days,
                ]
                for f in figures
            ],
            note=_(
                "補正率は補正依頼の件数を受付件数で割ったもの。完了までは到達日から完了日までの暦日数。"
            ),
        )
    )
    backlog, taken = queries.backlog(scope)
    status_labels = labels_of(Status)
    charts += [
        Chart(
            id="backlog",
            title=_("処理中の申請(ステータス別)"),
            kind="bar",
            labels=[status_labels[s] for s in backlog.by_status],
            series=[{"label": _("件数"), "data": list(backlog.by_status.values())}],
            columns=[_("ステータス"), _("件数")],
            rows=[[status_labels[s], n] for s, n in backlog.by_status.items()],
            extra={"overdue": backlog.overdue, "total": backlog.total, "taken": taken},
        ),
        Chart(
            id="ages",
            title=_("処理中の申請(受付からの日数)"),
            kind="bar",
            labels=[label for label, _n in backlog.by_age],
            series=[{"label": _("件数"), "data": [n for _l, n in backlog.by_age]}],
            columns=[_("受付からの日数"), _("件数")],
            rows=[[label, n] for label, n in backlog.by_age],
        ),
        Chart(
            id="assignees",
            title=_("処理中の申請(担当者別)"),
            kind="bar",
            labels=[name for name, _n in backlog.by_assignee],
            series=[{"label": _("件数"), "data": [n for _name, n in backlog.by_assignee]}],
            columns=[_("担当者"), _("件数")],
            rows=[[name, n] for name, n in backlog.by_assignee],
        ),
    ]
    outcomes = queries.identification_outcomes(scope, start, end)
    id_labels = dict(Identification.choices)
    charts.append(
        Chart(
            id="identification",
            title=_("本人特定の結果(期間中の受付、集計時点)"),
            kind="bar",
            labels=[str(id_labels.get(c, c)) for c in outcomes],
            series=[{"label": _("件数"), "data": list(outcomes.values())}],
            columns=[_("本人特定"), _("件数")],
            rows=[[str(id_labels.get(c, c)), n] for c, n in outcomes.items()],
        )
    )
    failures = queries.handoff_failures(scope)
    charts.append(
        Chart(
            id="handoff",
            title=_("基幹連携の失敗(対応待ち、基幹システム別)"),
            kind="bar",
            labels=[name for name, _n in failures],
            series=[{"label": _("件数"), "data": [n for _name, n in failures]}],
            columns=[_("基幹システム"), _("件数")],
            rows=[[name, n] for name, n in failures],
        )
    )
    cards = _card_chart()
    if cards is not None:
        charts.append(cards)
    return charts


def _card_chart() -> Chart | None:
    """This municipality against its prefecture and the nation, at each 基準日 loaded: out of
    the whole country's table (some 1,900 rows a 基準日), the rows of those three only."""
    days = list(
        CardIssuance.objects.order_by("base_date").values_list("base_date", flat=True).distinct()
    )
    if not days:
        return None
    prefecture, town = place_of(settings.MUNICIPALITY_CODE, settings.MUNICIPALITY_NAME)
    wanted = [
        (
            _("全国"),
            lambda r: r.kind.startswith("全国") or (not r.prefecture and not r.municipality),
        ),
        (prefecture or _("都道府県"), lambda r: r.prefecture == prefecture and not r.municipality),
        (
            town or _("市区町村"),
            # A prefecture's own table has no prefecture column: its rows name the town only.
            lambda r: bool(town) and r.prefecture in (prefecture, "") and r.municipality == town,
        ),
    ]
    found: dict[tuple[dt.date, int], float] = {}
    for row in CardIssuance.objects.filter(
        Q(kind__startswith="全国")
        | Q(municipality="", prefecture__in=("", prefecture))
        | Q(prefecture__in=(prefecture, ""), municipality=town)
    ).order_by("base_date", "-prefecture", "id"):  # a row naming the prefecture first
        for index, (_label, want) in enumerate(wanted):
            if want(row):
                found.setdefault((row.base_date, index), float(row.computed_rate))
    rates = [[found.get((d, index)) for d in days] for index in range(len(wanted))]
    names = [str(label) for label, _want in wanted]
    return Chart(
        id="cards",
        title=_("マイナンバーカード交付率(人口に対する交付枚数)"),
        kind="line",
        labels=[d.isoformat() for d in days],
        series=[{"label": name, "data": data} for name, data in zip(names, rates, strict=True)],
        columns=[_("基準日"), *names],
        rows=[[d.isoformat(), *(_percent(data[i]) for data in rates)] for i, d in enumerate(days)],
        note=_("交付率は人口と交付枚数から再計算した値(公表値と異なる行は読込時に報告)。"),
    )


def _csv(chart: Chart) -> HttpResponse:
    response = HttpResponse(
        spreadsheet_csv(chart.columns, chart.rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="insights-{chart.id}.csv"'
    return response


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = _reader(request)
    form = PeriodForm(request.GET or None, user=user)
    start, end, grain = form.period(timezone.localdate())
    valid = form.is_valid()
    chosen = form.cleaned_data.get("department") if valid else None
    scope = queries.Scope.of(user, chosen.pk if chosen else None)
    charts = _charts(
        scope, start, end, grain, form.cleaned_data.get("procedure", "") if valid else ""
    )
    wanted = request.GET.get("csv")
    if wanted:
        chart = next((c for c in charts if c.id == wanted), None)
        if chart is not None:
            return _csv(chart)
    query = request.GET.copy()
    query.pop("csv", None)
    state = RefreshState.objects.filter(pk=1).first()
    return render(
        request,
        "insights/dashboard.html",
        {
            "form": form,
            "charts": charts,
            "chart_data": [c.as_json() for c in charts],
            "start": start,
            "end": end,
            "query": query.urlencode(),
            "refreshed_at": state.refreshed_at if state else None,
            "backlog": next(c for c in charts if c.id == "backlog").extra,
        },
    )


METHODS = (
    ("transcription", gettext_lazy("方式1 転記")),
    ("rpa", gettext_lazy("方式2 RPA")),
    ("api", gettext_lazy("方式3 取込機能(API)")),
    ("batch", gettext_lazy("方式4 一括ファイル")),
)
# つくば市 (the seed): 1,900 受理通知 a year, 85 hours by hand, 14 h 10 min with RPA, in
# minutes per case as a clerk types them. By hand costs nothing but time; what RPA cost つくば市
# is not in the source, so its costs stay blank and the screen says what they may total.
TSUKUBA = {
    "volume": "1900",
    "transcription-minutes": f"{85 * 60 / 1900:.2f}",
    "transcription-initial": "0",
    "transcription-running": "0",
    "rpa-minutes": f"{(14 * 60 + 10) / 1900:.2f}",
}


class MethodsForm(forms.Form):
    procedure = forms.ChoiceField(label=gettext_lazy("手続"), required=False)
    volume = forms.FloatField(label=gettext_lazy("年間件数 N"), min_value=0, required=False)
    years = forms.IntegerField(
        label=gettext_lazy("期間 Y(年)"), min_value=1, max_value=30, initial=5
    )
    hourly_cost = forms.FloatField(label=gettext_lazy("職員の時間単価 w(円)"), min_value=0)

    def __init__(self, *args: Any, procedures: list[Procedure], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["procedure"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *((p.procedure_id, p.name) for p in procedures),
        ]
        for code, label in METHODS:
            for part, part_label in (
                ("minutes", _("1件あたりの職員時間 t(分)")),
                ("initial", _("初期費用 Init(円)")),
                ("running", _("年間の運用費 Run(円)")),
            ):
                self.fields[f"{code}-{part}"] = forms.FloatField(
                    label=f"{label} {part_label}", min_value=0, required=False
                )

    def methods(self) -> list[Method]:
        data = self.cleaned_data
        chosen = []
        for code, label in METHODS:
            if data.get(f"{code}-minutes") is None:
                continue
            initial, running = data.get(f"{code}-initial"), data.get(f"{code}-running")
            chosen.append(
                Method(
                    name=str(label),
                    hours_per_case=data[f"{code}-minutes"] / 60,
                    initial=initial or 0.0,
                    running=running or 0.0,
                    # Blank is unknown, not free: 0 円 is typed.
                    costs_known=initial is not None and running is not None,
                )
            )
        return chosen


@login_required
def methods(request: HttpRequest) -> HttpResponse:
    """付録2: which 方式 costs least for a procedure, from its volume (measured by madoguchi
    when a procedure is chosen and no N is typed) and the municipality's own figures."""
    user = _reader(request)
    current = Procedure.current()
    procedures = sorted(
        (
            p
            for p in current.values()
            if user.sees_all_departments or p.department_id == user.department_id
        ),
        key=lambda p: p.procedure_id,
    )
    data = request.GET.copy() if request.GET else None
    if data is not None and data.get("example") == "tsukuba":
        data = data.copy()
        for key, value in TSUKUBA.items():
            data.setdefault(key, value)
    form = MethodsForm(data, procedures=procedures, initial={"years": 5})
    choice: Choice | None = None
    measured: int | None = None
    problem = ""
    if data is not None and form.is_valid():
        volume = form.cleaned_data["volume"]
        procedure_id = form.cleaned_data["procedure"]
        if procedure_id:
            measured = measured_volume(procedure_id)
        if volume is None:
            volume = measured
        try:
            if volume is None:
                raise InputError(_("年間件数 N を入力するか、手続を選んでください"))
            choice = choose(
                form.methods(), volume, form.cleaned_data["years"], form.cleaned_data["hourly_cost"]
            )
        except InputError as exc:
            problem = str(exc)
    chart = (
        {
            "id": "costs",
            "kind": "bar",
            "labels": [
                _("%(name)s(職員時間分のみ)") % {"name": name} if name in choice.budgets else name
                for name in choice.costs
            ],
            "series": [{"label": _("費用(円)"), "data": [round(v) for v in choice.costs.values()]}],
            "stacked": False,
        }
        if choice
        else None
    )
    return render(
        request,
        "insights/methods.html",
        {
            "form": form,
            "methods": [
                (label, [form[f"{code}-{part}"] for part in ("minutes", "initial", "running")])
                for code, label in METHODS
            ],
            "choice": choice,
            "measured": measured,
            "problem": problem,
            "chart_data": [chart] if chart else [],
        },
    )
