from django.urls import path

from . import views

app_name = "intake"

urlpatterns = [
    path("quarantine/", views.quarantine_list, name="quarantine"),
    path("quarantine/<int:pk>/reprocess/", views.quarantine_reprocess, name="reprocess"),
    path("quarantine/<int:pk>/download/", views.quarantine_download, name="download"),
]
