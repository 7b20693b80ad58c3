from django.urls import path

from . import views

app_name = "residents"

urlpatterns = [
    path("gaiji/", views.registry_gaiji, name="gaiji"),
]
