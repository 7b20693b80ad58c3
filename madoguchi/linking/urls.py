from django.urls import path

from . import views

app_name = "linking"

urlpatterns = [
    path("", views.delivery_list, name="list"),
    path("resend-failed/", views.resend_failed_view, name="resend_failed"),
    path("gaiji/", views.gaiji_table, name="gaiji"),
    path("<str:receipt_number>/", views.transcription, name="transcription"),
    path(
        "<str:receipt_number>/record.json",
        views.record_download,
        {"extension": "json"},
        name="record_json",
    ),
    path(
        "<str:receipt_number>/record.csv",
        views.record_download,
        {"extension": "csv"},
        name="record_csv",
    ),
    path("<str:receipt_number>/transcribed/", views.transcribed, name="transcribed"),
    path("<str:receipt_number>/resend/", views.resend_view, name="resend"),
]
