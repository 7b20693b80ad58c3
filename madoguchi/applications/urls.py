from django.urls import path

from . import counter
from .views import attachments, columns, comments, decisions, detail, inbox, texts

app_name = "applications"

urlpatterns = [
    path("", inbox.application_list, name="list"),
    path("queue/identification/", inbox.identification_queue, name="identification_queue"),
    path("bulk/", inbox.bulk, name="bulk"),
    path("date-style/", inbox.date_style, name="date_style"),
    path("columns/", columns.inbox_columns, name="inbox_columns"),
    path("arrival-mail/", texts.arrival_mail_settings, name="arrival_mail"),
    path("filters/", inbox.saved_filter_create, name="saved_filter_create"),
    path("filters/<int:pk>/delete/", inbox.saved_filter_delete, name="saved_filter_delete"),
    path("decisions/", decisions.waiting_for_me, name="decisions"),
    path("notices/", comments.notices, name="notices"),
    path("routes/", decisions.routes, name="routes"),
    path("counter/", counter.counter_search, name="counter"),
    path("counter/<str:atena_number>/", counter.counter_resident, name="counter_resident"),
    path("counter/<str:atena_number>/forms/", counter.counter_forms, name="counter_forms"),
    path("<str:receipt_number>/", detail.application_detail, name="detail"),
    path("<str:receipt_number>/paper-signature/", counter.paper_signature, name="paper_signature"),
    path("<str:receipt_number>/duplicates/<int:pk>/", detail.duplicate_compare, name="duplicate"),
    path("<str:receipt_number>/transition/", detail.application_transition, name="transition"),
    path("<str:receipt_number>/resolve/", detail.application_resolve, name="resolve"),
    path("<str:receipt_number>/my-number/", detail.application_my_number, name="my_number"),
    path("<str:receipt_number>/assign/", detail.application_assign, name="assign"),
    path("<str:receipt_number>/comments/", comments.comment, name="comment"),
    path("<str:receipt_number>/decisions/<int:pk>/", decisions.decision_act, name="decision_act"),
    path(
        "<str:receipt_number>/decision-steps/<int:pk>/post-review/",
        decisions.step_post_review,
        name="post_review",
    ),
    path(
        "<str:receipt_number>/corrections/<int:reply_id>/accept/",
        detail.correction_accept,
        name="correction_accept",
    ),
    path(
        "<str:receipt_number>/attachments/<int:index>/", attachments.attachment, name="attachment"
    ),
    path(
        "<str:receipt_number>/attachments/<int:index>/pages/",
        attachments.attachment_pages,
        name="attachment_pages",
    ),
    path(
        "<str:receipt_number>/attachments/<int:index>/pages/<int:page>.png",
        attachments.attachment_page,
        name="attachment_page",
    ),
]
