from django.urls import path

from .audit_search import audit_search

# Named "audit" as before: the screen moved, its address and name did not.
app_name = "audit"

urlpatterns = [path("", audit_search, name="search")]
