from django.urls import path

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
]
