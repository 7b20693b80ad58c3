"""The registry side's writes: 番号紐付情報 loads (read and checked by loader.py), and reading
and re-keying 個人番号 (every read checked against the role and audited)."""

from __future__ import annotations

import datetime as dt
import hmac
import json
from collections.abc import Callable
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from madoguchi.accounts.models import User
from madoguchi.audit.actions import record
from madoguchi.audit.constants import AuditAction
from madoguchi.lib.jpki import BasicFour
from madoguchi.lib.mynumber import parse_my_number
from madoguchi.vocabulary import Sex

from . import crypto
from .loader import (
    MAX_FILE_BYTES,
    PRIVATE_USE,
    LoadError,
    LoadReport,
    check_row,
    detect_format,
    map_gaiji,
    parse_time,
    read_csv,
    read_fixed,
)
from .models import GETA, HeldRow, RegistryGaiji, Resident, SerialLink


@transaction.atomic
def reveal_my_number(resident: Resident, *, viewer: User, purpose: str) -> str | None:
    """The resident's 個人番号 in clear, for a role that may read it; the read is audited."""
    if not viewer.may_read_my_number:
        raise PermissionDenied
    if resident.my_number_encrypted is None:
        return None
    record(
        AuditAction.MY_NUMBER_VIEWED,
        actor=viewer,
        target_type="resident",
        target_id=resident.resident_code,
        extra={"purpose": purpose},
    )
    return crypto.decrypt(resident.my_number_encrypted)


def my_number_matches(resident: Resident, value: str) -> bool | None:
    """Whether a 個人番号 written on a form is the registry's, told without showing either
    (番号確認); None when the registry holds no number for the resident."""
    if resident.my_number_encrypted is None:
        return None
    return hmac.compare_digest(crypto.decrypt(resident.my_number_encrypted), value)


def sealed_columns() -> list[tuple[type[models.Model], str]]:
    """Every column kept under the 個人番号 keys (a SealedField), of any app."""
    return [
        (model, field.name)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, crypto.SealedField)
    ]


def rotate_keys(
    batch_size: int = 200, on_progress: Callable[[int, int], None] | None = None
) -> int:
    """Re-encrypt everything kept under the 個人番号 keys with the newest key (the registry's
    numbers, the forms' 個人番号, the packages that carry them); returns how many values.
    Only once it has finished may the old key be dropped."""
    work = [
        (
            model,
            column,
            list(
                model._default_manager.filter(**{f"{column}__isnull": False}).values_list(
                    "pk", flat=True
                )
            ),
        )
        for model, column in sealed_columns()
    ]
    total = sum(len(ids) for _m, _c, ids in work)
    done = 0
    for model, column, ids in work:
        for start in range(0, len(ids), batch_size):
            with transaction.atomic():
                for row in (
                    model._default_manager.select_for_update()
                    .filter(pk__in=ids[start : start + batch_size])
                    .only("pk", column)
                ):
                    token = getattr(row, column)
                    if token is not None:  # not purged since it was listed
                        setattr(row, column, crypto.rotate(token))
                        row.save(update_fields=[column])
                        done += 1
            if on_progress:
                on_progress(done, total)
    return done


class _DryRun(Exception):
    """Rolls back a dry run once its report is complete."""


def load_links(
    path: Path,
    *,
    delta: bool = False,
    file_format: str | None = None,
    actor: User | None = None,
    force: bool = False,
    dry_run: bool = False,
) -> LoadReport:
    """Load a file atomically: any bad row refuses the whole file, listing every problem.

    A full load ends every open link it does not list. An empty file, or one that would end
    more than REGISTRY_MAX_END_SHARE of the open links (a truncated or header-only export),
    is refused unless ``force``. ``dry_run`` reports what would change and changes nothing."""
    raw = path.read_bytes()
    if len(raw) > MAX_FILE_BYTES:
        raise LoadError([_("ファイルが大きすぎます")])
    file_format = file_format or detect_format(raw)
    try:
        rows, problems = read_csv(raw) if file_format == "csv" else read_fixed(raw)
    except UnicodeDecodeError as exc:
        raise LoadError(
            [_("文字コードを読めません (UTF-8 または CP932): %(at)d バイト目") % {"at": exc.start}]
        ) from exc
    table = gaiji_table()
    loadable: list[tuple[int, dict[str, str], list[int]]] = []
    held: list[tuple[int, dict[str, str], list[int]]] = []
    for line, raw_row in rows:
        row, unknown = map_gaiji(raw_row, table)
        # Checked with each unknown 外字 standing as 〓: a held row is otherwise sound.
        checked = {c: PRIVATE_USE.sub(GETA, v) for c, v in row.items()} if unknown else row
        problems += [
            _("%(line)d 行目: %(p)s") % {"line": line, "p": problem}
            for problem in check_row(checked)
        ]
        (held if unknown else loadable).append((line, row, unknown))
    if problems:
        raise LoadError(problems)
    rows = [(line, row) for line, row, _unknown in loadable]
    if not rows and not delta and not force:
        raise LoadError(
            [
                _(
                    "全件ファイルに行がありません。"
                    "すべての紐付を終了させるなら --force を付けてください"
                )
            ]
        )

    report = LoadReport(rows=len(rows), file_format=file_format, delta=delta, dry_run=dry_run)
    report.held = [(line, unknown) for line, _row, unknown in held]
    try:
        with transaction.atomic():
            open_before = SerialLink.objects.filter(valid_to__isnull=True).count()
            seen: set[int] = set()
            for _line, row in rows:
                if (link := _store(row, report)) is not None:
                    seen.add(link)
            _hold(path.name, held)
            if not delta:
                # A held row's links stay as they were until it loads.
                ended = (
                    SerialLink.objects.filter(valid_to__isnull=True)
                    .exclude(pk__in=seen)
                    .exclude(serial__in=[row["serial_number"].upper() for _l, row, _u in held])
                )
                report.links_ended = ended.count()
                share = settings.REGISTRY_MAX_END_SHARE
                if not force and open_before and report.links_ended > share * open_before:
                    raise LoadError(
                        [
                            _(
                                "この全件ファイルは開いている紐付 %(open)d 件のうち %(n)d 件"
                                "(%(p).0f%%)を終了させます(上限 %(limit).0f%%)。"
                                "ファイルが途中で切れていないか確認し、正しければ --force を"
                                "付けてください"
                            )
                            % {
                                "open": open_before,
                                "n": report.links_ended,
                                "p": 100 * report.links_ended / open_before,
                                "limit": 100 * share,
                            }
                        ]
                    )
                ended.update(valid_to=timezone.now())
            if dry_run:
                raise _DryRun
            record(
                AuditAction.RESIDENTS_LOADED,
                actor=actor,
                target_type="file",
                target_id=path.name[:64],
                extra={
                    "rows": report.rows,
                    "held": len(held),
                    "delta": delta,
                    "forced": force,
                    "links_created": report.links_created,
                    "links_ended": report.links_ended,
                },
            )
    except _DryRun:
        pass
    return report


def prefecture_resident(atena_number: str, basic_four: BasicFour | None) -> Resident:
    """都道府県 mode: the resident a typed 宛名番号 names — the one kept before, or one kept now
    from the certificate's 基本4情報 (the prefecture has no registry to read it from)."""
    atena_number = atena_number.strip()
    if not atena_number.isascii() or not atena_number.isdigit() or len(atena_number) > 15:
        raise ValidationError(_("宛名番号は半角数字15桁以内です"))
    found = Resident.objects.filter(atena_number=atena_number).first()
    if found is not None:
        return found
    if basic_four is None or not basic_four.birth_date:
        raise ValidationError(_("証明書に基本4情報がないため、この宛名番号の住民を作れません"))
    return Resident.objects.create(
        # 住民票コード is the registry's; a prefecture's resident is known by its 宛名番号.
        resident_code=f"P{atena_number[-10:]}",
        atena_number=atena_number,
        name=basic_four.name,
        birth_date=dt.date.fromisoformat(basic_four.birth_date),
        sex=basic_four.sex if basic_four.sex in Sex.values else Sex.UNKNOWN,
        address=basic_four.address,
    )


def gaiji_table() -> dict[int, str]:
    return dict(RegistryGaiji.objects.values_list("code", "replacement"))


def _hold(file_name: str, held: list[tuple[int, dict[str, str], list[int]]]) -> None:
    """Keep each held row sealed; a newer file's row for the same link replaces an older."""
    for line, row, unknown in held:
        # A 世帯員 without a card has no serial: held under their 住民票コード instead.
        serial = row["serial_number"].upper() or f"R{row['resident_code']}"
        HeldRow.objects.filter(serial=serial, loaded_at__isnull=True).delete()
        HeldRow.objects.create(
            file_name=file_name[:255],
            line=line,
            serial=serial,
            atena_number=row["atena_number"][:20],
            codes=unknown,
            row=crypto.encrypt_bytes(json.dumps(row, ensure_ascii=False).encode()),
        )


def held_row_values(held: HeldRow) -> dict[str, str]:
    """The held row as it was read (its 外字 still as codes)."""
    return dict(json.loads(crypto.decrypt_bytes(held.row)))


@transaction.atomic
def load_held_rows(*, actor: User) -> tuple[int, int]:
    """Load every held row whose 外字 the table now knows: (loaded, still held)."""
    if not actor.may_edit_gaiji:
        raise PermissionDenied
    table = gaiji_table()
    report = LoadReport(delta=True)
    loaded = still = 0
    for held in HeldRow.objects.select_for_update().filter(loaded_at__isnull=True):
        row, unknown = map_gaiji(held_row_values(held), table)
        if unknown or check_row(row):
            if unknown != held.codes:
                held.codes = unknown
                held.save(update_fields=["codes"])
            still += 1
            continue
        _store(row, report)
        held.loaded_at = timezone.now()
        held.save(update_fields=["loaded_at"])
        loaded += 1
    if loaded:
        record(
            AuditAction.HELD_ROWS_LOADED,
            actor=actor,
            target_type="registry",
            target_id="held",
            extra={"rows": loaded, "held": still},
        )
    return loaded, still


@transaction.atomic
def set_registry_gaiji(code: int, replacement: str, note: str, *, actor: User) -> RegistryGaiji:
    """A 住基 外字 → the character it is, or 〓 when it has none (a clerk then compares)."""
    if not actor.may_edit_gaiji:
        raise PermissionDenied
    if not (PRIVATE_USE.fullmatch(chr(code)) if 0 <= code <= 0x10FFFF else None):
        raise ValueError(_("外字のコードは私用領域(U+E000〜U+F8FF)の文字です"))
    replacement = replacement.strip()
    if len(replacement) != 1 or PRIVATE_USE.fullmatch(replacement) or not replacement.isprintable():
        raise ValueError(_("置換は1文字(文字が無い外字は 〓)で入力してください"))
    entry, _created = RegistryGaiji.objects.update_or_create(
        code=code, defaults={"replacement": replacement, "note": note.strip()[:200]}
    )
    record(
        AuditAction.REGISTRY_GAIJI_CHANGED,
        actor=actor,
        target_type="registry_gaiji",
        target_id=f"U+{code:04X}",
        extra={"to": replacement, "note": entry.note},
    )
    return entry


def _postal(value: str) -> str:
    digits = value.replace("-", "")
    return f"{digits[:3]}-{digits[3:]}" if digits else ""


def _store(row: dict[str, str], report: LoadReport) -> int | None:
    defaults: dict[str, object] = {
        "atena_number": row["atena_number"],
        "name": row["name"],
        "name_kana": row["name_kana"],
        "birth_date": dt.date.fromisoformat(row["birth_date"]),
        "sex": row["sex"],
        "address": row["address"],
        "previous_name": row.get("previous_name", ""),
        "previous_address": row.get("previous_address", ""),
        "household_number": row.get("household_number", ""),
        "relationship": row.get("relationship", ""),
        "postal_code": _postal(row.get("postal_code", "")),
    }
    my_number = parse_my_number(row["my_number"]) if row["my_number"] else None
    if my_number:
        defaults["my_number_encrypted"] = crypto.encrypt(my_number)
    resident, created = Resident.objects.update_or_create(
        resident_code=row["resident_code"], defaults=defaults
    )
    if created:
        report.residents_created += 1
    else:
        report.residents_updated += 1
    if not row["serial_number"]:
        return None  # a 世帯員 without a signing certificate: no link
    link, link_created = SerialLink.objects.update_or_create(
        serial=row["serial_number"].upper(),
        valid_from=parse_time(row["valid_from"]),
        defaults={
            "resident": resident,
            "valid_to": parse_time(row["valid_to"]) if row["valid_to"] else None,
        },
    )
    if link_created:
        report.links_created += 1
    else:
        report.links_unchanged += 1
    return link.pk
