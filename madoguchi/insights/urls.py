from django.urls import path

from . import prefecture, views

app_name = "insights"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("methods/", views.methods, name="methods"),
    path("prefecture/", prefecture.prefecture, name="prefecture"),
]
