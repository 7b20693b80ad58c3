from django.urls import path

from . import counter, views

app_name = "applications"

urlpatterns = [
    path("", views.application_list, name="list"),
    path("queue/identification/", views.identification_queue, name="identification_queue"),
    path("bulk/", views.bulk, name="bulk"),
    path("arrival-mail/", views.arrival_mail_settings, name="arrival_mail"),
    path("filters/", views.saved_filter_create, name="saved_filter_create"),
    path("filters/<int:pk>/delete/", views.saved_filter_delete, name="saved_filter_delete"),
    path("print.pdf", views.applications_print, name="print_day"),
    path("counter/", counter.counter_search, name="counter"),
    path("counter/<str:atena_number>/", counter.counter_resident, name="counter_resident"),
    path("counter/<str:atena_number>/forms/", counter.counter_forms, name="counter_forms"),
    path("<str:receipt_number>/", views.application_detail, name="detail"),
    path("<str:receipt_number>/paper-signature/", counter.paper_signature, name="paper_signature"),
    path("<str:receipt_number>/duplicates/<int:pk>/", views.duplicate_compare, name="duplicate"),
    path("<str:receipt_number>/print.pdf", views.application_print, name="print"),
    path("<str:receipt_number>/transition/", views.application_transition, name="transition"),
    path("<str:receipt_number>/resolve/", views.application_resolve, name="resolve"),
    path("<str:receipt_number>/my-number/", views.application_my_number, name="my_number"),
    path("<str:receipt_number>/assign/", views.application_assign, name="assign"),
    path(
        "<str:receipt_number>/corrections/<int:reply_id>/accept/",
        views.correction_accept,
        name="correction_accept",
    ),
    path("<str:receipt_number>/attachments/<int:index>/", views.attachment, name="attachment"),
    path(
        "<str:receipt_number>/attachments/<int:index>/pages/",
        views.attachment_pages,
        name="attachment_pages",
    ),
    path(
        "<str:receipt_number>/attachments/<int:index>/pages/<int:page>.png",
        views.attachment_page,
        name="attachment_page",
    ),
]
