from django.urls import path

from madoguchi.linking import pull_api

from . import views

app_name = "api"

urlpatterns = [
    path("openapi.json", views.openapi, name="openapi"),
    path("applications", views.application_list, name="applications"),
    path("applications/<str:receipt_number>", views.application_detail, name="application"),
    path(
        "applications/<str:receipt_number>/transition",
        views.application_transition,
        name="transition",
    ),
    path(
        "applications/<str:receipt_number>/my-number", views.application_my_number, name="my_number"
    ),
    path(
        "applications/<str:receipt_number>/form-my-numbers",
        views.application_form_my_numbers,
        name="form_my_numbers",
    ),
    path("counter-applications", views.counter_application, name="counter_applications"),
    path("core-systems/<str:key>/records", pull_api.record_list, name="core_system_records"),
    path(
        "core-systems/<str:key>/records/<str:receipt_number>",
        pull_api.record_detail,
        name="core_system_record",
    ),
    path(
        "core-systems/<str:key>/records/<str:receipt_number>/acknowledgement",
        pull_api.record_acknowledgement,
        name="core_system_acknowledgement",
    ),
]
