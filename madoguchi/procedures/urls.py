from django.urls import path

from . import views

app_name = "procedures"

urlpatterns = [
    path("", views.procedure_list, name="list"),
    path("<slug:procedure_id>/<str:version>/", views.procedure_detail, name="detail"),
]
