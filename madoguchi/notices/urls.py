from django.urls import path

from . import print_views, receipt_views, views

app_name = "notices"

urlpatterns = [
    path("letters/", views.letter_list, name="letters"),
    path("letters/<int:letter_id>/returned/", views.letter_returned, name="returned"),
    path("batch/", views.letter_batch, name="batch"),
    path("batch/<int:pk>/", views.letter_run, name="run"),
    path("batch/<int:pk>/<str:name>", views.letter_run_file, name="run_file"),
    path("prints/", print_views.print_request, name="print_request"),
    path("prints/<int:pk>/", print_views.print_run, name="print_run"),
    path("prints/<int:pk>/file", print_views.print_file, name="print_file"),
    path("receipts/", receipt_views.receipts, name="receipts"),
    path(
        "receipts/<str:day>/<slug:department>.<str:kind>",
        receipt_views.receipts_file,
        name="receipts_file",
    ),
    path("settings/", views.document_settings, name="settings"),
    path("settings/preview/<str:kind>.pdf", views.document_preview, name="preview"),
]
