"""書かない窓口 and 郵送: staff file the catalog form for a resident found in the registry.

The clerk finds the resident (宛名番号, or birth date and name), picks a life event or the
procedures, and fills each form on one page: the 基本4情報 come from the registry, and what
one form asked fills the same item of the next (by the catalog's ``semantic``, else the
item id). Each form is filed on its own, with the catalog's validation; the filed ones stay
listed with their 申請書 to print for the resident to check and sign.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from madoguchi.accounts.access import staff_user
from madoguchi.accounts.models import User
from madoguchi.applications.actions.duplicates import possible_duplicates
from madoguchi.applications.actions.filing import (
    PaperFile,
    file_application,
    receive_paper_signature,
    search_registry_for_filing,
)
from madoguchi.procedures.fields import field_type
from madoguchi.procedures.life_events import life_event, life_events
from madoguchi.procedures.models import Procedure
from madoguchi.procedures.schema import GROUP, all_fields, clean_form, condition_text, max_length
from madoguchi.residents.models import Resident
from madoguchi.vocabulary import RECEIPT_PREFIX, Channel

from .access import access_application
from .models import Application

# What the registry (住基) gives of the person concerned, by the catalog's semantic.
FROM_REGISTRY = {
    "applicant.name": lambda r: r.name,
    "applicant.kana": lambda r: r.name_kana,
    "applicant.birth_date": lambda r: r.birth_date.isoformat(),
    "applicant.address": lambda r: r.address,
    "applicant.postal_code": lambda r: r.postal_code,
}
# What the registry gives of each child of the 世帯 (a group whose fields say child.*).
FROM_HOUSEHOLD = {
    "child.name": lambda c: c.name,
    "child.kana": lambda c: c.name_kana,
    "child.birth_date": lambda c: c.birth_date.isoformat(),
    "child.relationship": lambda c: "子",
    "child.living": lambda c: "同居",
    "child.address": lambda c: "",
}


def _filer(request: HttpRequest) -> User:
    user = staff_user(request)
    if not user.may_file_applications:
        raise PermissionDenied(_("窓口・郵送の受付は、手続の担当課の職員が行います"))
    return user


@login_required
def counter_search(request: HttpRequest) -> HttpResponse:
    """The first step: find the resident in the registry."""
    user = _filer(request)
    text = request.GET.get("who", "").strip()[:100]
    atena = request.GET.get("atena", "").strip()[:20]
    birth = request.GET.get("birth", "").strip()
    error = ""
    found: list[Resident] | None = None
    birth_date = None
    if birth:
        try:
            birth_date = dt.date.fromisoformat(birth)
        except ValueError:
            error = _("生年月日を正しく入力してください")
    if (atena or birth) and not error:
        found = search_registry_for_filing(
            user, text=text, birth_date=birth_date, atena_number=atena
        )
    elif text and not error:
        error = _("生年月日か宛名番号も入力してください(氏名だけでは探せません)")
    return render(
        request,
        "applications/counter_search.html",
        {"who": text, "atena": atena, "birth": birth, "found": found, "error": error},
    )


def _resident(atena_number: str) -> Resident:
    return get_object_or_404(Resident, atena_number=atena_number)


def _channel(request: HttpRequest) -> tuple[Channel, str]:
    """(channel, 到達日 as given) of the query string; the counter by default."""
    value = request.GET.get("channel", Channel.COUNTER)
    channel = Channel(value) if value in RECEIPT_PREFIX else Channel.COUNTER
    return channel, request.GET.get("arrived_on", "")[:10]


@login_required
def counter_resident(request: HttpRequest, atena_number: str) -> HttpResponse:
    """The second step: how it came (窓口・郵送), and the life event or the procedures."""
    user = _filer(request)
    resident = _resident(atena_number)
    current = Procedure.current()
    mine = sorted(
        (p for p in current.values() if user.may_file_for(p.department_id)),
        key=lambda p: p.procedure_id,
    )
    events = []
    for event in life_events():
        offered = [current[p] for p in event.procedure_ids if p in current]
        events.append(
            {
                "event": event,
                "mine": [p for p in offered if user.may_file_for(p.department_id)],
                "elsewhere": [p for p in offered if not user.may_file_for(p.department_id)],
            }
        )
    channel, arrived_on = _channel(request)
    return render(
        request,
        "applications/counter_resident.html",
        {
            "resident": resident,
            "procedures": mine,
            "events": events,
            "channel": channel,
            "channels": [(c.value, c.label) for c in RECEIPT_PREFIX],
            "arrived_on": arrived_on or timezone.localdate().isoformat(),
            "today": timezone.localdate().isoformat(),
        },
    )


def _known_values(resident: Resident, filed: list[Application]) -> dict[str, str]:
    """What was already asked, by semantic and by item id: the registry's 基本4情報, then
    every form filed in this visit (the latest wins)."""
    known = {semantic: str(get(resident)) for semantic, get in FROM_REGISTRY.items()}
    for application in filed:
        for field in application.procedure.fields:
            value = application.form.get(field["id"], "")
            # A 個人番号 is kept masked: typed again from the card, never carried over.
            if value and field_type(field["type"]).may_carry(field, value):
                known[f"id:{field['id']}"] = value
                if field.get("semantic"):
                    known[str(field["semantic"])] = value
    return known


def _prefill(
    procedure: Procedure, known: dict[str, str], children: list[Resident]
) -> dict[str, str]:
    """What the clerk need not type: the registry's and the visit's answers, and a children
    group's entries from the 世帯 (each child of the household, as far as the form holds)."""
    form = {}
    for field in procedure.fields:
        if field.get("type") == GROUP:
            subs = {str(sub.get("semantic", "")): sub for sub in field["fields"]}
            if "child.name" not in subs:
                continue
            room = min(int(field["max_entries"]), COUNTER_ENTRIES)
            for n, child in enumerate(children[:room], start=1):
                for semantic, get in FROM_HOUSEHOLD.items():
                    sub = subs.get(semantic)
                    value = str(get(child))
                    if sub and value and field_type(sub["type"]).may_carry(sub, value):
                        form[f"{field['id']}.{n}.{sub['id']}"] = value
            continue
        value = known.get(str(field.get("semantic", ""))) or known.get(f"id:{field['id']}", "")
        if value and field_type(field["type"]).may_carry(field, value):
            form[field["id"]] = value
    return form


# Entries of a repeating group offered on the counter's form (the catalog may allow more;
# those are rare at a counter and go in with the next form).
COUNTER_ENTRIES = 4


def _input(
    field: dict[str, Any], name: str, html_id: str, value: str, errors: list[str]
) -> dict[str, Any]:
    kind = field_type(field["type"])
    return {
        "name": name,
        "html_id": html_id,
        "label": field["label"],
        "required": bool(field.get("required")),
        "condition": condition_text(field, {}),
        "choices": field.get("choices") if field["type"] == "choice" else None,
        "input_type": kind.input_type,
        "inputmode": kind.inputmode,
        "max_length": max_length(field),
        "value": value,
        "errors": errors,
        "hint": kind.hint,
        # A 個人番号 is not kept in the browser's form history.
        "autocomplete": "off" if kind.sealed else "",
    }


def _inputs(
    procedure: Procedure, values: dict[str, str], errors: dict[str, list[str]]
) -> list[dict[str, Any]]:
    labels = {f["id"]: f["label"] for f in all_fields(procedure.fields)}
    rows = []
    for field in procedure.fields:
        html_id = f"{procedure.procedure_id}-{field['id']}"
        if field.get("type") == GROUP:
            entries = min(int(field["max_entries"]), COUNTER_ENTRIES)
            rows.append(
                {
                    "group": True,
                    "label": field["label"],
                    "html_id": html_id,
                    "errors": errors.get(field["id"], []),
                    "columns": [sub["label"] for sub in field["fields"]],
                    "entries": [
                        {
                            "number": n,
                            # Beyond the entries the catalog requires, an entry may stay
                            # empty: its items are needed only when it is used.
                            "optional": n > int(field.get("min_entries", 0)),
                            "cells": [
                                _input(
                                    sub,
                                    f"f-{field['id']}.{n}.{sub['id']}",
                                    f"{html_id}-{n}-{sub['id']}",
                                    values.get(f"{field['id']}.{n}.{sub['id']}", ""),
                                    errors.get(f"{field['id']}.{n}.{sub['id']}", []),
                                )
                                | {"label": f"{field['label']} {n} {sub['label']}"}
                                for sub in field["fields"]
                            ],
                        }
                        for n in range(1, entries + 1)
                    ],
                }
            )
            continue
        row = _input(field, f"f-{field['id']}", html_id, values.get(field["id"], ""),
                     errors.get(field["id"], []))  # fmt: skip
        row["condition"] = condition_text(field, labels)
        rows.append(row)
    return rows


def _typed(field: dict[str, Any], value: str) -> str:
    return field_type(field["type"]).typed(value[:2000])


def _posted(procedure: Procedure, data: Any) -> dict[str, str]:
    """The form as typed (each value tidied as its type writes it: 1000011 → 100-0011); a
    group's entries left wholly empty are not entries."""
    form: dict[str, str] = {}
    for field in procedure.fields:
        if field.get("type") != GROUP:
            form[field["id"]] = _typed(field, data.get(f"f-{field['id']}", ""))
            continue
        number = 0
        for n in range(1, min(int(field["max_entries"]), COUNTER_ENTRIES) + 1):
            entry = {
                sub["id"]: _typed(sub, data.get(f"f-{field['id']}.{n}.{sub['id']}", ""))
                for sub in field["fields"]
            }
            if any(v.strip() for v in entry.values()):
                number += 1
                form |= {f"{field['id']}.{number}.{k}": v for k, v in entry.items() if v}
    return form


@login_required
def counter_forms(request: HttpRequest, atena_number: str) -> HttpResponse:
    """The third step: one form per chosen procedure, prefilled; each filed on its own."""
    user = _filer(request)
    resident = _resident(atena_number)
    channel, arrived_on = _channel(request)
    chosen = request.GET.getlist("procedure")
    event = life_event(request.GET.get("event", ""))
    if event is not None and not chosen:
        chosen = list(event.procedure_ids)
    current = Procedure.current(chosen)
    procedures = [
        current[p]
        for p in dict.fromkeys(chosen)
        if p in current and user.may_file_for(current[p].department_id)
    ]
    if not procedures:
        messages.error(request, _("受け付ける手続を選んでください"))
        return redirect("applications:counter_resident", atena_number=atena_number)
    # What this member filed in this visit (at a 総合窓口, for other 課 too: their own
    # filings, not a reading of the other 課's applications).
    filed = list(
        Application.objects.filter(
            receipt_number__in=request.GET.getlist("filed")[:20],
            resident=resident,
            filed_by=user,
        )
        .select_related("procedure__department")
        .order_by("id")
    )
    done = {a.procedure.procedure_id for a in filed}
    errors: dict[str, list[str]] = {}
    duplicates: list[Application] = []
    posted: dict[str, str] | None = None
    target = request.POST.get("procedure", "") if request.method == "POST" else ""
    if request.method == "POST":
        procedure = next((p for p in procedures if p.procedure_id == target), None)
        if procedure is None or target in done:
            raise Http404
        posted = _posted(procedure, request.POST)
        upload = request.FILES.get("scan")
        scans = [PaperFile(upload.name or "scan", upload.read())] if upload else []
        # 重複の可能性 before filing, while the resident is there: filed only once the clerk
        # has looked (the suspicion is still recorded on both when it is filed).
        if not request.POST.get("duplicates_checked"):
            duplicates = possible_duplicates(resident.pk, procedure, clean_form(posted))
        try:
            if duplicates:
                raise ValidationError({})
            application = file_application(
                procedure,
                resident,
                posted,
                actor=user,
                channel=channel,
                arrived_on=_day(request.POST.get("arrived_on", "")),
                scans=scans,
            )
        except ValidationError as exc:
            errors = exc.message_dict
            if errors:
                messages.error(
                    request,
                    _("「%(name)s」の入力内容を確認してください") % {"name": procedure.name},
                )
        else:
            messages.success(
                request,
                _("「%(name)s」を受け付けました(受付番号 %(r)s)")
                % {"name": procedure.name, "r": application.receipt_number},
            )
            query = request.GET.copy()
            query.setlist("filed", [*query.getlist("filed"), application.receipt_number])
            return redirect(f"{request.path}?{query.urlencode()}")
    known = _known_values(resident, filed)
    children = resident.household_children()
    sections = []
    for p in procedures:
        if p.procedure_id in done:
            continue
        answered = p.procedure_id == target  # the form just sent, refused or held
        inputs = _inputs(
            p,
            posted if posted is not None and answered else _prefill(p, known, children),
            errors if answered else {},
        )
        summary = _summary(inputs) if answered else []
        general = [m for k, ms in errors.items() if k in ("arrived_on", "scan") for m in ms]
        sections.append(
            {
                "procedure": p,
                "inputs": inputs,
                "summary": summary,
                "errors": general if answered else [],
                "problems": len(summary) + (len(general) if answered else 0),
                "duplicates": duplicates if answered else [],
            }
        )
    return render(
        request,
        "applications/counter_forms.html",
        {
            "resident": resident,
            "event": event,
            "channel": channel,
            "arrived_on": arrived_on,
            "sections": sections,
            "filed": filed,
            "back": f"?{urlencode({'channel': channel.value, 'arrived_on': arrived_on})}",
        },
        status=400 if errors else 409 if duplicates else 200,
    )


def _summary(inputs: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """Each problem of a refused form as (the input's id, its label, the message), in the
    form's order, for the summary at its top that links to each."""
    found = []
    for row in inputs:
        group = bool(row.get("group"))
        cells = [c for entry in row["entries"] for c in entry["cells"]] if group else [row]
        for cell in cells:
            found += [(cell["html_id"], cell["label"], message) for message in cell["errors"]]
        if group:
            found += [(row["html_id"], row["label"], message) for message in row["errors"]]
    return found


def _day(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


@login_required
@require_POST
def paper_signature(request: HttpRequest, receipt_number: str) -> HttpResponse:
    """The signed 申請書 came back from the resident: recorded, with its scan if any."""
    user = staff_user(request)
    application = access_application(user, receipt_number)
    upload = request.FILES.get("scan")
    try:
        receive_paper_signature(
            application.pk,
            actor=user,
            scan=PaperFile(upload.name or "scan", upload.read()) if upload else None,
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("署名済の申請書の受領を記録しました"))
    return redirect("applications:detail", receipt_number=receipt_number)
