from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import connection, models
from django.db.models import Count, F, Lookup, Q, Value

from madoguchi.lib.text import normalize_for_match
from madoguchi.procedures.models import Procedure
from madoguchi.residents.models import Resident
from madoguchi.vocabulary import OPEN_STATUSES, Channel

if TYPE_CHECKING:
    from madoguchi.accounts.models import User

# Name matches up to this many are looked up by id (see ApplicationQuerySet.search).
NARROW_MATCH = 5000
# The 受付番号 madoguchi gives what staff file (constants.RECEIPT_PREFIX).
FILED_RECEIPT = re.compile(r"[CM][0-9]{12}", re.ASCII)


def department_procedure_ids(department_id: int) -> list[int]:
    """The procedures one department handles (what its staff may see). Asked twice on
    every page (the boundary, the お知らせ count), so by one fixed statement: building the
    queryset cost eight times running it."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {Procedure._meta.db_table} WHERE department_id = %s ORDER BY id",  # noqa: S608 (the model's own table name)
            [department_id],
        )
        return [pk for (pk,) in cursor.fetchall()]


class ApplicationQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> ApplicationQuerySet:
        """The department boundary: staff see their own department's procedures only."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.sees_all_departments:
            return self
        if user.department_id is None:
            return self.none()
        return self.of_department(user.department_id)

    def of_department(self, department_id: int) -> ApplicationQuerySet:
        """The applications of one department's procedures. The procedure ids go as a list,
        not a join: the database then filters each row by its own column, whatever index it
        walks."""
        return self.filter(procedure_id__in=department_procedure_ids(department_id))

    def search(self, text: str) -> ApplicationQuerySet:
        """Digits: 受付番号 or 宛名番号, exactly. Anything else: the start of the applicant's
        name or kana, whatever its width, spacing, hiragana/katakana or old forms.

        Each branch is one index lookup, so a search stays fast at a city's scale.
        """
        number = unicodedata.normalize("NFKC", text).strip()
        if not number:
            return self
        if number.isascii() and number.isdigit():
            # A 補正 answer's own 受付番号 finds the application it answers.
            replies = self.model._meta.get_field("correction_replies").related_model
            answered = replies._default_manager.filter(receipt_number=number)
            return self.filter(
                Q(receipt_number=number)
                | Q(resident_id__in=Resident.objects.filter(atena_number=number).values("id"))
                | Q(id__in=answered.values("application_id"))
            )
        if FILED_RECEIPT.fullmatch(number.upper()):
            return self.filter(receipt_number=number.upper())
        key = normalize_for_match(text)
        by_name = _starts_with("name_key", key) | _starts_with("kana_key", key)
        # Anywhere in the name or kana too (まこと finds 山田　誠): for two characters or
        # more, through trigram indexes on PostgreSQL where the server has pg_trgm
        # (migration 0013), else by reading the column (SQLite; a few ms a 10,000 rows).
        inside = Q(name_key__contains=key) | Q(kana_key__contains=key) if len(key) >= 2 else None
        # A full name matches a few rows: find them through the name indexes first, so that
        # the database need not walk the whole inbox looking for them. A bare surname can
        # match thousands, and then walking the inbox in order finds a page soonest.
        ids = self.model.objects.order_by().values_list("id", flat=True)
        few = list(ids.filter(by_name)[: NARROW_MATCH + 1])
        if inside is not None and len(few) <= NARROW_MATCH:
            within = _bigram_match(ids, key) if len(key) == 2 else ids.filter(inside)
            few = list(dict.fromkeys([*few, *within[: NARROW_MATCH + 1]]))
        if len(few) <= NARROW_MATCH:
            return self.filter(id_in(self.model, few))
        return self.filter(by_name if inside is None else by_name | inside)

    def for_list(self) -> ApplicationQuerySet:
        """The columns a list shows (the inbox, the API's list), and no more: not the form,
        nor the procedure's definition, which would be parsed once per row."""
        return self.select_related("procedure", "assignee").only(
            "receipt_number",
            "status",
            "submitted_at",
            "received_at",
            "due_date",
            "applicant_name",
            "applicant_kana",
            "applicant_birth_date",
            "identification",
            "form_errors",
            "channel",
            "procedure__procedure_id",
            "procedure__version",
            "procedure__name",
            "assignee__username",
            "assignee__display_name",
        )

    def channel_counts(self) -> dict[str, int]:
        """How many of these came by each channel (オンライン・窓口・郵送): the online share
        a DX manager reports is counts["online"] over their sum."""
        counted = self.order_by().values_list("channel").annotate(n=Count("id"))
        return {c: 0 for c in Channel.values} | {str(c): int(n) for c, n in counted}

    def open_only(self) -> ApplicationQuerySet:
        """The open applications, by the very terms the partial indexes are built on
        (models.Application.Meta): SQLite uses a partial index only when the statement
        holds its condition as written — the codes themselves, not bound parameters."""
        return self.filter(_InCodes(F("status"), Value(OPEN_CODES)))

    def overdue(self, today: dt.date) -> ApplicationQuerySet:
        return self.open_only().filter(due_date__lt=today)


# Two characters inside a name or kana: an index of bigrams (migration 0026), since a
# two-character pattern has no trigram for pg_trgm and would scan the whole table.
BIGRAMS = {
    "postgresql": "madoguchi_bigrams(name_key || chr(31) || kana_key) @> ARRAY[%s]::text[]",
    "sqlite": "id IN (SELECT application_id FROM application_name_gram WHERE gram = %s)",
}


def _bigram_match(ids: models.QuerySet[Any, int], key: str) -> models.QuerySet[Any, int]:
    where = BIGRAMS[connection.vendor]  # the two databases madoguchi runs on (DESIGN §5)
    return ids.extra(where=[where], params=[key])  # noqa: S610 (a parameter, not text)


# The open statuses as the partial indexes' condition lists them (sorted).
OPEN_CODES = tuple(sorted(OPEN_STATUSES))
_CODE = re.compile(r"[a-z_]+", re.ASCII)


class _InCodes(Lookup):
    """``column IN ('a', 'b')``, the values written into the statement. Only for fixed
    codes of the vocabulary (lower-case letters and underscores, checked), never for input."""

    lookup_name = "in_codes"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        codes = [str(code) for code in self.rhs.value]
        if not codes or not all(_CODE.fullmatch(code) for code in codes):
            raise ValueError(f"not vocabulary codes: {codes!r}")
        return f"{lhs} IN ({', '.join(repr(code) for code in codes)})", list(lhs_params)


class _EqualsAny(Lookup):
    """``column = ANY(%s)``: one array parameter for any number of values (PostgreSQL)."""

    lookup_name = "equals_any"

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", [*lhs_params, *rhs_params]


def id_in(model: type[models.Model], ids: list[int]) -> Q | Lookup:
    """Rows of ``model`` whose id is one of ``ids``: on PostgreSQL one array parameter rather
    than thousands of them, the column named by Django (so that it holds inside a subquery
    too); elsewhere an IN list."""
    if connection.vendor == "postgresql":
        return _EqualsAny(F("pk"), Value(list(ids)))
    return Q(pk__in=ids)


def _starts_with(column: str, key: str) -> Q:
    """Values of ``column`` that begin with ``key``. On SQLite as the range [key, key with
    its last character raised by one), which the column's index answers (SQLite's LIKE
    cannot use it); PostgreSQL's pattern index answers LIKE, whatever the collation."""
    if connection.vendor == "sqlite" and key and ord(key[-1]) < 0x10FFFF:
        return Q(**{f"{column}__gte": key, f"{column}__lt": key[:-1] + chr(ord(key[-1]) + 1)})
    return Q(**{f"{column}__startswith": key})


# Sort orders of the inbox: (field, descending) pairs, the last one unique.
ORDERS = {
    "new": [("received_at", True), ("id", True)],
    "old": [("received_at", False), ("id", False)],
    "due": [("due_date", False), ("id", False)],
}
# Counted up to this many ("1,000 件以上" beyond): an exact count of a large result costs
# more than the page itself and helps no one.
COUNT_LIMIT = 1_000


@dataclass
class KeysetPage:
    """One page of the inbox, found by position (keyset), not by OFFSET: a page deep in a
    million applications costs what the first one does."""

    items: list[Any]
    next_cursor: str | None
    previous_cursor: str | None
    count: int
    count_is_capped: bool


def _encode(application: Any, order: list[tuple[str, bool]]) -> str:
    values = [getattr(application, name) for name, _desc in order]
    return "_".join(v.isoformat() if hasattr(v, "isoformat") else str(v) for v in values)


class InvalidCursor(ValueError):
    """A page cursor that is not one we wrote, or lies outside what the database holds."""


CURSOR_YEARS = (1900, 2999)
MAX_ID = 2**63 - 1


def _decode(cursor: str, order: list[tuple[str, bool]]) -> list[Any]:
    parts = cursor.rsplit("_", len(order) - 1)
    if len(parts) != len(order):
        raise InvalidCursor(cursor)
    values: list[Any] = []
    try:
        for (name, _desc), part in zip(order, parts, strict=True):
            if name == "received_at":
                moment = dt.datetime.fromisoformat(part)
                if moment.tzinfo is None or not CURSOR_YEARS[0] <= moment.year <= CURSOR_YEARS[1]:
                    raise InvalidCursor(cursor)
                values.append(moment)
            elif name == "due_date":
                day = dt.date.fromisoformat(part)
                if not CURSOR_YEARS[0] <= day.year <= CURSOR_YEARS[1]:
                    raise InvalidCursor(cursor)
                values.append(day)
            else:
                number = int(part)
                if not 0 <= number <= MAX_ID:
                    raise InvalidCursor(cursor)
                values.append(number)
    except (ValueError, OverflowError) as exc:
        raise InvalidCursor(cursor) from exc
    return values


def _beyond(order: list[tuple[str, bool]], values: list[Any], *, backwards: bool) -> Q:
    """Rows after the cursor in this order (before it, going backwards). The redundant bound
    on the first field lets the database start the index scan at the cursor."""
    (first, descending), (second, _same) = order
    op = "lt" if descending != backwards else "gt"
    return Q(**{f"{first}__{op}e": values[0]}) & (
        Q(**{f"{first}__{op}": values[0]}) | Q(**{first: values[0], f"{second}__{op}": values[1]})
    )


def keyset_page(
    applications: ApplicationQuerySet,
    sort: str,
    *,
    after: str = "",
    before: str = "",
    size: int = 50,
) -> KeysetPage:
    order = ORDERS.get(sort, ORDERS["new"])
    fields = [f"-{name}" if desc else name for name, desc in order]
    backwards = bool(before) and not after
    cursor = _decode(before if backwards else after, order) if (after or before) else None
    query = applications
    if cursor is not None:
        query = query.filter(_beyond(order, cursor, backwards=backwards))
    if backwards:
        fields = [f[1:] if f.startswith("-") else f"-{f}" for f in fields]
    rows = list(query.order_by(*fields)[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    if backwards:
        has_next, has_previous = True, more
    else:
        has_next, has_previous = more, cursor is not None
    counted = applications.order_by()[: COUNT_LIMIT + 1].count()
    return KeysetPage(
        items=rows,
        next_cursor=_encode(rows[-1], order) if has_next and rows else None,
        previous_cursor=_encode(rows[0], order) if has_previous and rows else None,
        count=min(counted, COUNT_LIMIT),
        count_is_capped=counted > COUNT_LIMIT,
    )
