"""住基の外字: the 外字 of the 番号紐付情報 files, and the rows held for one not yet known."""

from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from madoguchi.accounts.access import staff_user
from madoguchi.lib.cells import visible_controls

from .actions import held_row_values, load_held_rows, set_registry_gaiji
from .loader import PRIVATE_USE, gaiji_code_label
from .models import HeldRow, RegistryGaiji

# The columns of a held row shown to the administrator (not the 個人番号).
SHOWN = (
    ("name", gettext_lazy("氏名")),
    ("name_kana", gettext_lazy("カナ")),
    ("address", gettext_lazy("住所")),
)


@login_required
def registry_gaiji(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    if not user.may_edit_gaiji:
        raise PermissionDenied
    if request.method == "POST":
        if request.POST.get("action") == "load":
            loaded, still = load_held_rows(actor=user)
            messages.success(
                request,
                _("保留していた %(n)d 行を読み込みました(残り %(m)d 行)")
                % {"n": loaded, "m": still},
            )
        else:
            try:
                code = int(request.POST.get("code", ""))
                set_registry_gaiji(
                    code,
                    request.POST.get("replacement", ""),
                    request.POST.get("note", ""),
                    actor=user,
                )
            except ValueError as exc:
                messages.error(request, str(exc) or _("外字のコードが正しくありません"))
            else:
                messages.success(
                    request, _("外字を登録しました: %(c)s") % {"c": gaiji_code_label(code)}
                )
        return redirect("residents:gaiji")
    held = list(HeldRow.objects.filter(loaded_at__isnull=True))
    rows = []
    unknown: dict[int, int] = {}
    for entry in held:
        values = held_row_values(entry)
        for code in entry.codes:
            unknown.setdefault(code, 0)
            unknown[code] += 1
        rows.append(
            {
                "entry": entry,
                "codes": [gaiji_code_label(c) for c in entry.codes],
                "values": [
                    (label, visible_controls(PRIVATE_USE.sub(_shown_code, values.get(key, ""))))
                    for key, label in SHOWN
                ],
            }
        )
    return render(
        request,
        "residents/gaiji.html",
        {
            "rows": rows,
            "unknown": [(code, gaiji_code_label(code), n) for code, n in sorted(unknown.items())],
            "table": [
                (entry, gaiji_code_label(entry.code)) for entry in RegistryGaiji.objects.all()
            ],
        },
    )


def _shown_code(match: re.Match[str]) -> str:
    return f"[U+{ord(match.group()):04X}]"
