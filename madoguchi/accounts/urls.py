from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("", views.staff_list, name="staff"),
    path("new/", views.staff_new, name="new"),
    path("import/", views.staff_import, name="import"),
    path("<int:pk>/", views.staff_detail, name="detail"),
    path("<int:pk>/details/", views.staff_update, name="update"),
    path("<int:pk>/move/", views.staff_move, name="move"),
    path("<int:pk>/counter/", views.staff_counter, name="counter"),
    path("<int:pk>/moves/<int:move_pk>/cancel/", views.staff_cancel_move, name="cancel_move"),
    path("<int:pk>/disable/", views.staff_disable, name="disable"),
    path("<int:pk>/enable/", views.staff_enable, name="enable"),
    path("<int:pk>/reset-password/", views.staff_reset_password, name="reset_password"),
    path(
        "<int:pk>/reset-second-factor/",
        views.staff_reset_second_factor,
        name="reset_second_factor",
    ),
]
