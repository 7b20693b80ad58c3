from django.urls import path

from . import views

app_name = "applications"

urlpatterns = [
    path("", views.application_list, name="list"),
    path("<str:receipt_number>/", views.application_detail, name="detail"),
    path("<str:receipt_number>/transition/", views.application_transition, name="transition"),
]
