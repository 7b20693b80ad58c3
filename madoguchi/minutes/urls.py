from django.urls import path

from . import exports, views

app_name = "minutes"

urlpatterns = [
    path("", views.meeting_list, name="list"),
    path("new/", views.meeting_new, name="new"),
    path("<int:pk>/", views.meeting_detail, name="detail"),
    path("<int:pk>/transcript/", views.transcript, name="transcript"),
    path("<int:pk>/display/", views.display, name="display"),
    path("<int:pk>/upload/", views.upload, name="upload"),
    path("<int:pk>/chunks/", views.chunk, name="chunk"),
    path("<int:pk>/segments/<int:segment_pk>/", views.segment_edit, name="segment"),
    path(
        "<int:pk>/segments/<int:segment_pk>/versions/",
        views.segment_versions,
        name="segment_versions",
    ),
    path("<int:pk>/translate/", views.translate, name="translate"),
    path(
        "<int:pk>/segments/<int:segment_pk>/translate/",
        views.translate,
        name="segment_translate",
    ),
    path("<int:pk>/fix/", views.fix, name="fix"),
    path("<int:pk>/audio/<int:seq>/", views.audio, name="audio"),
    path("<int:pk>/minutes.pdf", exports.minutes_pdf, name="pdf"),
    path("<int:pk>/minutes.txt", exports.minutes_text, name="text"),
    path("<int:pk>/minutes.docx", exports.minutes_docx, name="docx"),
]
