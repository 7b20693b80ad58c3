from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from madoguchi.accounts.access import staff_user
from madoguchi.vocabulary import Status

from .fields import field_type
from .models import Procedure, version_key
from .schema import GROUP, GROUP_LABEL, all_fields, condition_text


@login_required
def procedure_list(request: HttpRequest) -> HttpResponse:
    procedures = Procedure.objects.select_related("department").order_by(
        "department__code", "procedure_id", "-version"
    )
    return render(request, "procedures/list.html", {"procedures": procedures})


@login_required
def procedure_detail(request: HttpRequest, procedure_id: str, version: str) -> HttpResponse:
    procedure = (
        Procedure.objects.select_related("department")
        .filter(procedure_id=procedure_id, version=version)
        .first()
    )
    if procedure is None:
        raise Http404
    versions = sorted(
        Procedure.objects.filter(procedure_id=procedure_id), key=lambda p: version_key(p.version)
    )
    index = next(i for i, v in enumerate(versions) if v.pk == procedure.pk)
    previous = versions[index - 1] if index else None
    flow = procedure.definition.get("flow", {})
    messages = [
        {"status": status.label, "text": procedure.status_messages[status.value]}
        for status in Status
        if status.value in procedure.status_messages
    ]
    return render(
        request,
        "procedures/detail.html",
        {
            "procedure": procedure,
            "before": flow.get("before", []),
            "after": flow.get("after", []),
            "messages_for_applicant": messages,
            "may_edit_texts": staff_user(request).may_edit_applicant_texts(procedure.department_id),
            "versions": versions,
            "fields": _field_rows(procedure.fields),
            "diff": _diff(previous, procedure) if previous else None,
            "previous": previous,
        },
    )


def _field_rows(fields: list[dict[str, Any]], within: str = "") -> list[dict[str, Any]]:
    """The catalog page's rows: each field, with its type, condition, and a group's own
    fields under it."""
    labels = {f["id"]: f["label"] for f in all_fields(fields)}
    rows = []
    for field in fields:
        is_group = field.get("type") == GROUP
        rows.append(
            {
                **field,
                "within": within,
                "type_label": GROUP_LABEL if is_group else field_type(field["type"]).label,
                "condition": condition_text(field, labels),
                "entries": (
                    _("%(a)d〜%(b)d 件")
                    % {"a": field.get("min_entries", 0), "b": field["max_entries"]}
                    if is_group
                    else ""
                ),
            }
        )
        if is_group:
            rows += _field_rows(field["fields"], field["label"])
    return rows


def _signature(field: dict[str, Any]) -> dict[str, Any]:
    keep = ("label", "type", "required", "required_when", "max_length", "length", "choices")
    return {k: field.get(k) for k in keep} | {
        "min_entries": field.get("min_entries"),
        "max_entries": field.get("max_entries"),
    }


def _diff(before: Procedure, after: Procedure) -> dict[str, list[dict[str, Any]]]:
    """What the version changed against the one before: fields added, removed, changed
    (a group's fields by "group.field"), and export columns."""

    def flat(fields: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        out = {}
        for field in fields:
            out[field["id"]] = field
            if field.get("type") == GROUP:
                out |= {f"{field['id']}.{f['id']}": f for f in field["fields"]}
        return out

    old, new = flat(before.fields), flat(after.fields)
    changed = []
    for key in new.keys() & old.keys():
        a, b = _signature(old[key]), _signature(new[key])
        what = [k for k in a if a[k] != b[k]]
        if what:
            changed.append(
                {"id": key, "label": new[key]["label"], "what": what, "before": a, "after": b}
            )
    columns_before = [c["header"] for c in before.export_columns]
    columns_after = [c["header"] for c in after.export_columns]
    return {
        "added": [{"id": k, "label": new[k]["label"]} for k in new if k not in old],
        "removed": [{"id": k, "label": old[k]["label"]} for k in old if k not in new],
        "changed": sorted(changed, key=lambda c: str(c["id"])),
        "columns_added": [{"label": h} for h in columns_after if h not in columns_before],
        "columns_removed": [{"label": h} for h in columns_before if h not in columns_after],
    }
