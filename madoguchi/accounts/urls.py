from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("", views.staff_list, name="staff"),
    path(
        "<int:pk>/reset-second-factor/",
        views.staff_reset_second_factor,
        name="reset_second_factor",
    ),
]
