"""内部コメント: staff write to each other on an application; an @ユーザー名 of a colleague who
may see it tells them (お知らせ). Audited; never sent to the applicant."""

from __future__ import annotations

import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from madoguchi.accounts.models import User
from madoguchi.audit.actions import record
from madoguchi.audit.constants import AuditAction

from ..models import Application, InternalComment

MENTION = re.compile(r"@([A-Za-z0-9_.+-]+)")
COMMENT_MAX = 2000


@transaction.atomic
def add_comment(application_id: int, body: str, *, actor: User) -> InternalComment:
    application = Application.objects.get(pk=application_id)
    if not Application.objects.visible_to(actor).filter(pk=application_id).exists():
        raise PermissionDenied
    body = body.strip()
    if not body:
        raise ValidationError(_("コメントを入力してください"))
    if len(body) > COMMENT_MAX:
        raise ValidationError(_("コメントは %(n)d 文字までです") % {"n": COMMENT_MAX})
    named = set(MENTION.findall(body))
    mentioned = [
        user
        for user in User.objects.filter(username__in=named, is_active=True)
        if Application.objects.visible_to(user).filter(pk=application_id).exists()
    ]
    unknown = named - {u.username for u in mentioned}
    if unknown:
        raise ValidationError(
            _("この申請を見られる職員にいません: %(names)s")
            % {"names": "、".join(f"@{n}" for n in sorted(unknown))}
        )
    comment = InternalComment.objects.create(application=application, author=actor, body=body)
    comment.mentions.set(mentioned)
    record(
        AuditAction.COMMENT_ADDED,
        actor=actor,
        target=application,
        extra={"comment": comment.pk, "mentions": sorted(u.username for u in mentioned)},
    )
    return comment
