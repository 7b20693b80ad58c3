from django.urls import path

from . import views

app_name = "applications"

urlpatterns = [
    path("", views.application_list, name="list"),
    path("queue/identification/", views.identification_queue, name="identification_queue"),
    path("<str:receipt_number>/", views.application_detail, name="detail"),
    path("<str:receipt_number>/transition/", views.application_transition, name="transition"),
    path("<str:receipt_number>/resolve/", views.application_resolve, name="resolve"),
    path("<str:receipt_number>/my-number/", views.application_my_number, name="my_number"),
]
