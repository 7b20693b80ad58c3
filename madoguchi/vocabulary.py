"""The shared vocabulary (DESIGN §7): one set of codes across screens, API, exports and the
audit log — codes in English, labels in Japanese. It sits low in the layer order, beside the
relay, so that every app may name a status, a role or an identification outcome without
importing the app that changes it. Extend a list when a real case needs it; never reuse a code
for another meaning."""

from django.db import models
from django.utils.translation import gettext_lazy as _


def labels_of(vocabulary: type[models.TextChoices]) -> dict[str, str]:
    """Each code's label in the active language, translated once: for a page that names
    many rows' codes (Django's get_FOO_display translates every choice for each row)."""
    return {code: str(label) for code, label in vocabulary.choices}


class Role(models.TextChoices):
    COUNTER_CLERK = "counter_clerk", _("窓口担当")
    REVIEWER = "reviewer", _("審査担当")
    MANAGER = "manager", _("所属長")
    ADMINISTRATOR = "administrator", _("システム管理者")


class Sex(models.TextChoices):
    """Codes as the JPKI certificate carries them."""

    MALE = "1", _("男")
    FEMALE = "2", _("女")
    UNKNOWN = "3", _("不明")


class Identification(models.TextChoices):
    """③-4's outcome for an application's applicant, separate from its status."""

    IDENTIFIED = "identified", _("特定済")
    NEEDS_REVIEW = "needs_review", _("要確認")
    UNIDENTIFIED = "unidentified", _("特定不可")
    REVOCATION_PENDING = "revocation_pending", _("確認待ち")
    # Held as 確認待ち, then a fresh CRL showed the certificate revoked before signing.
    CERTIFICATE_REVOKED = "certificate_revoked", _("証明書失効")


class Status(models.TextChoices):
    RECEIVED = "received", _("受付")
    IN_REVIEW = "in_review", _("審査中")
    CORRECTION_REQUESTED = "correction_requested", _("補正依頼中")
    READY_FOR_HANDOFF = "ready_for_handoff", _("基幹連携待ち")
    HANDED_OFF = "handed_off", _("基幹連携済")
    COMPLETED = "completed", _("完了")
    REJECTED = "rejected", _("却下")
    WITHDRAWN = "withdrawn", _("取下げ")


OPEN_STATUSES = frozenset(
    {
        Status.RECEIVED,
        Status.IN_REVIEW,
        Status.CORRECTION_REQUESTED,
        Status.READY_FOR_HANDOFF,
        Status.HANDED_OFF,
    }
)

CLOSED_STATUSES = frozenset({Status.COMPLETED, Status.REJECTED, Status.WITHDRAWN})

# The workflow: which status may follow which. Changed only through actions.change_status.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.RECEIVED: frozenset({Status.IN_REVIEW, Status.REJECTED, Status.WITHDRAWN}),
    Status.IN_REVIEW: frozenset(
        {Status.CORRECTION_REQUESTED, Status.READY_FOR_HANDOFF, Status.REJECTED, Status.WITHDRAWN}
    ),
    Status.CORRECTION_REQUESTED: frozenset({Status.IN_REVIEW, Status.REJECTED, Status.WITHDRAWN}),
    Status.READY_FOR_HANDOFF: frozenset({Status.HANDED_OFF, Status.IN_REVIEW, Status.WITHDRAWN}),
    Status.HANDED_OFF: frozenset({Status.COMPLETED}),
    Status.COMPLETED: frozenset(),
    Status.REJECTED: frozenset(),
    Status.WITHDRAWN: frozenset(),
}

# Who may move an application into each status: the decisions (承認して基幹連携へ, 却下,
# 完了) are the reviewer's or the manager's of its department. Separation of duties: the
# administrator configures and audits, and decides nothing (not even for a department).
_EVERYONE = frozenset({Role.COUNTER_CLERK, Role.REVIEWER, Role.MANAGER, Role.ADMINISTRATOR})
_DECIDERS = frozenset({Role.REVIEWER, Role.MANAGER})
MAY_MOVE_TO: dict[Status, frozenset[Role]] = {
    Status.IN_REVIEW: _EVERYONE,
    Status.CORRECTION_REQUESTED: _EVERYONE,
    Status.WITHDRAWN: _EVERYONE,
    Status.READY_FOR_HANDOFF: _DECIDERS,
    Status.REJECTED: _DECIDERS,
    Status.COMPLETED: _DECIDERS,
    Status.HANDED_OFF: _EVERYONE,  # follows from the hand-over (actions.change_status)
}

# Transitions the law or practice expects a written reason for.
REASON_REQUIRED = frozenset({Status.CORRECTION_REQUESTED, Status.REJECTED, Status.WITHDRAWN})
# Decisions that end an application for the applicant: previewed and confirmed one by one,
# never in a bulk action.
CONFIRM_FIRST = frozenset({Status.REJECTED, Status.WITHDRAWN})


class Channel(models.TextChoices):
    """How an application arrived (DESIGN §7); one workflow for all."""

    ONLINE = "online", _("オンライン")
    COUNTER = "counter", _("窓口")
    MAIL = "mail", _("郵送")


# Filed by staff: numbered by madoguchi (the portal numbers the online ones), with a letter
# no portal number has, so the two can never collide: C202612010001, M202612010001.
RECEIPT_PREFIX = {Channel.COUNTER: "C", Channel.MAIL: "M"}


class Settlement(models.TextChoices):
    """How a clerk settled a 重複の可能性."""

    BOTH_VALID = "both_valid", _("重複ではない(両方とも審査する)")
    WITHDRAWN = "withdrawn", _("一方を取下げにした")


class Submitter(models.TextChoices):
    SELF = "self", _("本人")
    PROXY = "proxy", _("代理")


# What the applicant sees on the portal for each status (codes of the portal's API).
PORTAL_STATUS = {
    Status.IN_REVIEW: "processing",
    Status.CORRECTION_REQUESTED: "returned",
    Status.READY_FOR_HANDOFF: "processing",
    Status.HANDED_OFF: "processing",
    Status.COMPLETED: "completed",
    Status.REJECTED: "rejected",
    Status.WITHDRAWN: "withdrawn",
}


# 電子決裁: the decisions a 課 may route through approvers before they take effect.
ROUTED_DECISIONS = (Status.READY_FOR_HANDOFF, Status.REJECTED, Status.COMPLETED)


class StepState(models.TextChoices):
    """A step of a 決裁 route (DESIGN §7). A decision takes effect when every step is
    approved (or 代決); a 差戻し returns it to the drafter; 後閲 is the approver's own reading
    of a step their deputy decided."""

    WAITING = "waiting", _("承認待ち")
    APPROVED = "approved", _("承認")
    APPROVED_BY_DEPUTY = "approved_by_deputy", _("代決")
    RETURNED = "returned", _("差戻し")
    POST_REVIEW = "post_review", _("後閲")


class DecisionState(models.TextChoices):
    IN_PROGRESS = "in_progress", _("決裁中")
    APPROVED = "approved", _("決裁済")
    RETURNED = "returned", _("差戻し")
