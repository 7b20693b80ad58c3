from django.urls import path

from . import receipt_views, views

app_name = "notices"

urlpatterns = [
    path("letters/", views.letter_list, name="letters"),
    path("letters/<int:letter_id>/returned/", views.letter_returned, name="returned"),
    path("batch/", views.letter_batch, name="batch"),
    path("batch/<int:pk>/", views.letter_run, name="run"),
    path("batch/<int:pk>/<str:name>", views.letter_run_file, name="run_file"),
    path("receipts/", receipt_views.receipts, name="receipts"),
    path(
        "receipts/<str:day>/<slug:department>.<str:kind>",
        receipt_views.receipts_file,
        name="receipts_file",
    ),
    path("settings/", views.document_settings, name="settings"),
    path("settings/preview/<str:kind>.pdf", views.document_preview, name="preview"),
]
