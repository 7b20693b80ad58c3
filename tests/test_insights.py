"""業務の見える化: the daily counts equal the database, the dashboard keeps department
boundaries, the card table recomputes, and the 付録2 chooser reproduces a hand computation."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from conftest import sign_in
from madoguchi.applications.actions.workflow import change_status
from madoguchi.applications.models import Application
from madoguchi.insights import queries
from madoguchi.insights.aggregate import count_day, recount_all, refresh
from madoguchi.insights.models import CardIssuance, DailyCount
from madoguchi.insights.municipal import export_counts, prefecture_view
from madoguchi.lib.card_issuance import TableError, decode, parse_date, read_table
from madoguchi.lib.kpi import percentile_of_histogram
from madoguchi.lib.method_costs import Method, break_even, choose
from madoguchi.vocabulary import OPEN_STATUSES, Channel, Identification, Role, Status
from tests.factories import make_application

# Figures as 総務省 published them (全国 of the seed; the 2021-01-01 top-10 and prefecture
# rows), and a 千代田区 row made up for the municipality of the tests.
CARD_TABLE = """マイナンバーカード交付状況(令和3年1月1日現在)
区分,都道府県名,市区町村名,総数(人口),交付枚数,人口に対する交付枚数率
全国,,,"126,654,244","49,552,693",39.1%
都道府県,宮崎県,,"1,095,903","358,411",32.7%
都道府県,東京都,,"13,834,925","3,945,964",28.5%
特別区・市,石川県,加賀市,"66,350","34,950",52.7%
特別区・市,宮崎県,都城市,"164,506","82,881",50.4%
特別区・市,東京都,千代田区,"66,680","20,004",30.0%
"""


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=timezone.get_current_timezone())


def test_the_chooser_reproduces_a_hand_computation() -> None:
    """N = 1,000 a year, Y = 5, w = 3,000 円. By hand: 転記 5·1000·0.5·3000 = 7,500,000;
    RPA 1,000,000 + 5·200,000 + 5·1000·0.1·3000 = 3,500,000; they break even at
    (1,000,000 + 5·200,000) / (5·3000·(0.5 − 0.1)) = 333.3 a year."""
    manual = Method("転記", hours_per_case=0.5)
    rpa = Method("RPA", hours_per_case=0.1, initial=1_000_000, running=200_000)
    choice = choose([manual, rpa], volume=1000, years=5, hourly_cost=3000)
    assert choice.costs == {"転記": 7_500_000, "RPA": 3_500_000}
    assert choice.hours == {"転記": 2500, "RPA": 500}
    assert choice.recommended == "RPA"
    (even,) = choice.break_evens
    assert (even.cheaper_below, even.cheaper_above) == ("転記", "RPA")
    assert even.volume == pytest.approx(333.333, abs=0.001)
    assert choose([manual, rpa], volume=300, years=5, hourly_cost=3000).recommended == "転記"
    # RPA's costs unknown: costed on staff time alone (5·1000·0.1·3000), never recommended,
    # and given the most its set-up and running may total to win.
    unknown = Method("RPA", hours_per_case=0.1, costs_known=False)
    guess = choose([manual, unknown], volume=1000, years=5, hourly_cost=3000)
    assert (guess.recommended, guess.break_evens) == ("転記", [])
    assert guess.budgets == {"RPA": 7_500_000 - 1_500_000}
    # Fewer hours and cheaper set-up: one is cheaper at every volume, no break-even.
    assert break_even(Method("a", 0.5, 100), Method("b", 0.1, 0), 5, 3000) is None


def test_percentiles_of_durations_are_durations_someone_had() -> None:
    assert percentile_of_histogram({1: 5, 3: 5}, 0.5) == 1
    assert percentile_of_histogram({1: 1, 2: 1, 10: 8}, 0.5) == 10
    assert percentile_of_histogram({4: 9, 30: 1}, 0.9) == 4
    assert percentile_of_histogram({}, 0.5) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("令和3年12月1日現在", dt.date(2021, 12, 1)),
        ("令和元年5月1日", dt.date(2019, 5, 1)),  # the era's first day
        ("平成31年4月30日", dt.date(2019, 4, 30)),  # the last day of 平成
        ("令和3年2月30日", None),  # no such day: "no date", not a crash
        ("令和元年4月30日", None),  # that day was 平成31年
        ("平成32年1月1日", None),  # 平成 ended in its 31st year
        ("令和0年1月1日", None),
        ("２０２１/０１/０１", dt.date(2021, 1, 1)),
        ("2021-02-30", None),
    ],
)
def test_a_date_in_a_card_table_exists_and_lies_in_its_era(text, expected) -> None:
    assert parse_date(text) == expected


def test_the_card_table_recomputes_every_rate_and_names_a_wrong_row() -> None:
    rows = read_table(CARD_TABLE)
    assert {r.base_date for r in rows} == {dt.date(2021, 1, 1)}
    assert all(r.matches for r in rows), [r.label for r in rows if not r.matches]
    nation = rows[0]
    assert (nation.population, nation.issued, nation.computed_rate) == (
        126_654_244,
        49_552_693,
        Decimal("39.1"),
    )
    wrong = read_table(CARD_TABLE.replace("52.7%", "57.2%"))
    (bad,) = [r for r in wrong if not r.matches]
    assert (bad.line, bad.label, bad.computed_rate) == (
        6,
        "特別区・市 石川県 加賀市",
        Decimal("52.7"),
    )
    # The top-10 layout: one 団体名 column, headings with their dates, no 区分.
    top = read_table(
        "団体名,人口【R2.1.1時点】,交付枚数【R3.1.1時点】,人口に対する交付枚数率\n"
        '石川県加賀市,"66,350","34,950",52.7%\n',
        dt.date(2021, 1, 1),
    )
    assert (top[0].prefecture, top[0].municipality, top[0].matches) == ("石川県", "加賀市", True)
    assert decode(CARD_TABLE.encode("cp932")) == CARD_TABLE
    with pytest.raises(TableError, match="基準日"):
        read_table(CARD_TABLE.split("\n", 1)[1])
    with pytest.raises(TableError, match="3 行目"):
        read_table(CARD_TABLE.replace('"126,654,244"', "不明"))


def test_the_card_command_keeps_each_base_date_and_reports_as_json(
    db: None, tmp_path, capsys
) -> None:
    first = tmp_path / "r3.csv"
    first.write_bytes(CARD_TABLE.encode("cp932"))
    later = tmp_path / "r4.csv"
    later.write_text(
        CARD_TABLE.replace("令和3年1月1日", "令和4年1月1日").replace("39.1%", "39.0%"),
        encoding="utf-8",
    )
    call_command("insights", "load-card-issuance", str(first), "--json")
    report = json.loads(capsys.readouterr().out)
    assert report == {"base_dates": ["2021-01-01"], "rows": 6, "mismatches": []}
    call_command("insights", "load-card-issuance", str(later), "--json")
    report = json.loads(capsys.readouterr().out)
    assert report["mismatches"] == [
        {"line": 3, "row": "全国", "printed_rate": "39.0", "computed_rate": "39.1"}
    ]
    call_command("insights", "load-card-issuance", str(first))  # again: replaced, not doubled
    assert CardIssuance.objects.count() == 12
    broken = tmp_path / "broken.csv"
    broken.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(CommandError, match="交付枚数"):
        call_command("insights", "load-card-issuance", str(broken))


def test_the_method_costs_command_reads_toml_and_measures_the_volume(
    catalog: None, tmp_path, capsys
) -> None:
    for _n in range(3):
        make_application("jidou-teate-nintei")
    inputs = tmp_path / "costs.toml"
    inputs.write_text(
        """years = 5
hourly_cost = 3000

[[procedures]]
name = "例"
volume = 1000
methods = [
  { name = "転記", hours_per_case = 0.5 },
  { name = "RPA", hours_per_case = 0.1, initial = 1000000, running = 200000 },
]

[[procedures]]
id = "jidou-teate-nintei"
methods = [{ name = "転記", hours_per_case = 0.25 }]
""",
        encoding="utf-8",
    )
    call_command("insights", "method-costs", str(inputs), "--json")
    example, measured = json.loads(capsys.readouterr().out)["results"]
    assert example["costs"] == {"転記": 7_500_000, "RPA": 3_500_000}
    assert example["recommended"] == "RPA"
    assert example["break_even"][0]["volume"] == pytest.approx(333.333, abs=0.001)
    assert (measured["volume"], measured["volume_measured"]) == (3, True)
    inputs.write_text("years = 5\nhourly_cost = -1\nprocedures = []\n", encoding="utf-8")
    with pytest.raises(CommandError, match="procedures"):
        call_command("insights", "method-costs", str(inputs))


@pytest.fixture
def history(catalog: None, reviewer) -> dict[str, object]:
    """Applications over three days, every channel, some closed, a 補正 requested."""
    today = timezone.localdate()
    days = [today - dt.timedelta(days=n) for n in (20, 3, 0)]
    made = []
    for i, day in enumerate(days):
        for channel in (Channel.ONLINE, Channel.ONLINE, Channel.COUNTER, Channel.MAIL)[: 2 + i]:
            made.append(
                make_application(
                    "jidou-teate-nintei",
                    received_at=at(day),
                    channel=channel,
                    identification=Identification.NEEDS_REVIEW
                    if channel == Channel.ONLINE
                    else Identification.UNIDENTIFIED,
                )
            )
    made.append(make_application("kaigo-nintei", received_at=at(days[1])))
    # Completed today, 20 days after 到達; one withdrawn; one back for 補正.
    done = made[0]
    Application.objects.filter(pk=done.pk).update(
        status=Status.COMPLETED, status_changed_at=at(today, 9)
    )
    change_status(made[1].pk, Status.WITHDRAWN, actor=reviewer, reason="本人から")
    change_status(made[2].pk, Status.IN_REVIEW, actor=reviewer)
    change_status(made[2].pk, Status.CORRECTION_REQUESTED, actor=reviewer, reason="口座")
    refresh(today)
    return {"days": days, "today": today}


def test_the_daily_counts_equal_direct_counts_of_the_database(history, reviewer) -> None:
    today = history["today"]
    start = today - dt.timedelta(days=30)
    everyone = queries.Scope(None)
    volume = queries.volume(everyone, start, today, "day")
    for channel in Channel.values:
        assert (
            sum(volume.by_channel[channel]) == Application.objects.filter(channel=channel).count()
        )
    figures = {f.procedure_id: f for f in queries.per_procedure(everyone, start, today)}
    nintei = figures["jidou-teate-nintei"]
    assert (
        nintei.total
        == Application.objects.filter(procedure__procedure_id="jidou-teate-nintei").count()
    )
    assert nintei.completed == Application.objects.filter(status=Status.COMPLETED).count() == 1
    assert nintei.corrections == 1
    assert (nintei.median_days, nintei.p90_days) == (20, 20)
    outcomes = queries.identification_outcomes(everyone, start, today)
    for code in Identification.values:
        assert outcomes[code] == Application.objects.filter(identification=code).count()
    backlog, taken = queries.backlog(everyone)
    assert taken is not None
    for status, n in backlog.by_status.items():
        assert n == Application.objects.filter(status=status).count()
    assert backlog.total == Application.objects.filter(status__in=OPEN_STATUSES).count()
    assert sum(n for _label, n in backlog.by_age) == backlog.total
    assert backlog.overdue == Application.objects.overdue(today).count()
    # The department's own numbers only.
    mine = queries.per_procedure(queries.Scope.of(reviewer), start, today)
    assert [f.procedure_id for f in mine] == ["jidou-teate-nintei"]


def test_a_day_is_recounted_whole_and_later_days_follow(history) -> None:
    today = history["today"]
    before = DailyCount.objects.filter(day=today).count()
    assert count_day(today) == before  # the same rows again, not added
    make_application("jidou-teate-nintei", received_at=at(today, 11), channel=Channel.MAIL)
    refresh(today)
    mail = DailyCount.objects.get(day=today, procedure_id="jidou-teate-nintei", channel="mail")
    assert mail.received == 2


def test_the_dashboard_is_for_managers_in_their_department(
    history, make_staff, counter_clerk, administrator, client
) -> None:
    manager = make_staff("kacho", Role.MANAGER, "kaigo")
    sign_in(client, counter_clerk)
    assert client.get("/insights/").status_code == 403
    sign_in(client, manager)
    page = client.get("/insights/", {"grain": "day"}).content.decode()
    assert "要介護・要支援認定申請" in page and "児童手当 認定請求" not in page
    sign_in(client, administrator)
    page = client.get("/insights/").content.decode()
    assert "児童手当 認定請求" in page and 'data-testid="chart-volume"' in page
    download = client.get("/insights/", {"grain": "day", "csv": "procedures"})
    text = download.content.decode("utf-8").lstrip("\ufeff")
    assert download["Content-Type"].startswith("text/csv")
    assert text.splitlines()[0].startswith("手続,オンライン,窓口,郵送,計,オンライン率")
    assert "児童手当 認定請求,6,2,1,9" in text
    one = client.get("/insights/", {"grain": "day", "procedure": "kaigo-nintei", "csv": "volume"})
    rows = one.content.decode("utf-8").lstrip("\ufeff").splitlines()[1:]
    assert sum(int(row.split(",")[4]) for row in rows) == 1  # the 計 column


def test_the_methods_screen_recommends_from_the_tsukuba_example(
    catalog: None, make_staff, client
) -> None:
    sign_in(client, make_staff("kacho", Role.MANAGER, "kosodate"))
    page = client.get(
        "/insights/methods/", {"example": "tsukuba", "years": "5", "hourly_cost": "3000"}
    ).content.decode()
    assert 'data-testid="method-result"' in page
    # The hours as a clerk reads them: minutes per case, two decimals (85 h and 14 h 10 min
    # over 1,900), not 0.04473684210526316 hours.
    assert 'value="2.68"' in page and 'value="0.45"' in page
    # By hand 5 × 1,900 × 2.68 min at 3,000 円 an hour; RPA's staff time alone 213,750 円.
    assert "1,273,000" in page and "213,750" in page
    # RPA's costs are not in the source: blank is not 0 円, so it is not 推奨; the page says
    # what its set-up and five years of running may cost to win.
    assert page.count("data-recommended") == 1
    recommended = page.split('data-recommended="1"><th scope="row">')[1].split(" <")[0]
    assert recommended == "方式1 転記"
    assert "初期費用と 5 年分の運用費の合計が 1,059,250 円未満なら" in page


def test_the_card_rates_show_the_municipality_against_prefecture_and_nation(
    db: None, settings, make_staff, administrator, client, tmp_path
) -> None:
    settings.MUNICIPALITY_NAME = "千代田区"
    source = tmp_path / "r3.csv"
    source.write_text(CARD_TABLE, encoding="utf-8")
    call_command("insights", "load-card-issuance", str(source), stdout=io.StringIO())
    sign_in(client, administrator)
    page = client.get("/insights/").content.decode()
    assert 'data-testid="chart-cards"' in page
    assert "39.1%" in page and "28.5%" in page and "30.0%" in page


# 府中市 is a city of 東京都 and of 広島県; the country's table lists both.
FUCHU_ROWS = """特別区・市,東京都,府中市,"260,274","100,000",38.4%
特別区・市,広島県,府中市,"38,000","19,000",50.0%
"""


def test_the_card_rates_tell_apart_municipalities_of_the_same_name(
    db: None, settings, administrator, client, tmp_path
) -> None:
    """The card table names municipalities, not codes: a row is the municipality's when its
    prefecture is the one the municipality code names and its name is the configured one —
    also when that is configured with its prefecture (広島県府中市)."""
    (tmp_path / "cards.csv").write_text(CARD_TABLE + FUCHU_ROWS, encoding="utf-8")
    call_command(
        "insights", "load-card-issuance", str(tmp_path / "cards.csv"), stdout=io.StringIO()
    )
    files = []
    for code, name in (("132063", "府中市"), ("342084", "広島県府中市")):
        settings.MUNICIPALITY_CODE, settings.MUNICIPALITY_NAME = code, name
        files.append(tmp_path / f"{code}.json")
        files[-1].write_text(json.dumps(export_counts(), ensure_ascii=False), encoding="utf-8")
    call_command("insights", "load-counts", *map(str, files), stdout=io.StringIO())

    today = timezone.localdate()
    view = prefecture_view(today - dt.timedelta(days=30), today)
    assert [(m.code, m.card_rate) for m in view.municipalities] == [
        ("132063", 38.4),
        ("342084", 50.0),
    ]
    # The municipality's own chart: itself, its prefecture and the nation.
    settings.MUNICIPALITY_CODE, settings.MUNICIPALITY_NAME = "132063", "府中市"
    sign_in(client, administrator)
    page = client.get("/insights/").content.decode()
    assert "38.4%" in page and "28.5%" in page and "39.1%" in page
    assert "50.0%" not in page


def test_a_prefectures_own_card_table_gives_the_municipalitys_line(
    db: None, settings, administrator, client, tmp_path
) -> None:
    """A prefecture publishes its municipalities without a prefecture column: the chart then
    finds the municipality by its name, as the prefecture's view does."""
    (tmp_path / "tokyo.csv").write_text(
        """東京都 マイナンバーカード交付状況(令和3年1月1日現在)
区分,市区町村名,総数(人口),交付枚数,人口に対する交付枚数率
都道府県,東京都,"13,834,925","3,945,964",28.5%
特別区・市,府中市,"260,274","100,000",38.4%
""",
        encoding="utf-8",
    )
    call_command(
        "insights", "load-card-issuance", str(tmp_path / "tokyo.csv"), stdout=io.StringIO()
    )
    settings.MUNICIPALITY_CODE, settings.MUNICIPALITY_NAME = "132063", "府中市"
    sign_in(client, administrator)
    page = client.get("/insights/").content.decode()
    assert "38.4%" in page and "28.5%" in page


def test_the_prefecture_view_is_the_sum_of_the_municipalities_files(
    history, settings, administrator, counter_clerk, client, tmp_path
) -> None:
    """共同利用: each municipality's installation exports its counts; the prefecture loads
    the files and its view adds them up — per municipality what the file said, in total the
    sum."""
    today = history["today"]
    settings.MUNICIPALITY_CODE, settings.MUNICIPALITY_NAME = "131016", "千代田区"
    chiyoda = export_counts()
    chiyoda_count = Application.objects.count()
    # 中央区's installation, with a history of its own (here: this one and three more).
    make_application("jidou-teate-nintei", received_at=at(today), channel=Channel.COUNTER)
    for waited in (5, 9):
        done = make_application("kaigo-nintei", received_at=at(today - dt.timedelta(days=waited)))
        Application.objects.filter(pk=done.pk).update(
            status=Status.COMPLETED, status_changed_at=at(today, 9)
        )
    recount_all()
    settings.MUNICIPALITY_CODE, settings.MUNICIPALITY_NAME = "131024", "中央区"
    chuo = export_counts()
    files = []
    for name, document in (("chiyoda", chiyoda), ("chuo", chuo)):
        files.append(tmp_path / f"{name}.json")
        files[-1].write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "cards.csv").write_text(CARD_TABLE, encoding="utf-8")
    call_command(
        "insights", "load-card-issuance", str(tmp_path / "cards.csv"), stdout=io.StringIO()
    )
    call_command("insights", "load-counts", *map(str, files), stdout=io.StringIO())

    start = today - dt.timedelta(days=30)
    view = prefecture_view(start, today)
    assert [(m.code, m.name) for m in view.municipalities] == [
        ("131016", "千代田区"),
        ("131024", "中央区"),
    ]
    for document, line in zip((chiyoda, chuo), view.municipalities, strict=True):
        days = document["days"]
        assert line.received == sum(r["received"] for r in days)
        assert line.online == sum(r["received"] for r in days if r["channel"] == "online")
        assert line.completed == sum(r["completed"] for r in days)
    assert view.municipalities[0].received == chiyoda_count  # what its own database held
    assert view.municipalities[0].card_rate == 30.0  # 千代田区's row of the card table
    assert view.total.received == chiyoda_count + Application.objects.count()
    assert view.total.completed == 1 + 3
    took = {20: 2, 5: 1, 9: 1}  # 千代田区's one, and 中央区's three
    assert view.total.median_days == percentile_of_histogram(took, 0.5) == 9

    sign_in(client, counter_clerk)
    assert client.get("/insights/prefecture/").status_code == 403
    sign_in(client, administrator)
    page = client.get(
        "/insights/prefecture/", {"start": start.isoformat(), "end": today.isoformat()}
    ).content.decode()
    total = page.split('data-code="total"')[1]
    assert f'data-field="received">{view.total.received}<' in total
    assert f'data-field="completed">{view.total.completed}<' in total
    assert "要介護・要支援認定申請" in page

    # A file that says something impossible changes nothing of what was loaded.
    chuo["days"][0]["received"] = -1
    files[1].write_text(json.dumps(chuo, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CommandError, match="days 1 行目: 件数が正しくありません"):
        call_command("insights", "load-counts", str(files[1]), stdout=io.StringIO())
    assert prefecture_view(start, today).total.received == view.total.received
    chuo["days"][0]["received"], chuo["exported_at"] = 1, "昨日"
    files[1].write_text(json.dumps(chuo, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CommandError, match="exported_at: 日時が正しくありません"):
        call_command("insights", "load-counts", str(files[1]), stdout=io.StringIO())
    assert prefecture_view(start, today).total.received == view.total.received
