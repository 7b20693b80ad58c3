from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from madoguchi.accounts import session
from madoguchi.accounts.login import LockoutAuthenticationForm, logout_everywhere
from madoguchi.accounts.second_factor import second_factor
from madoguchi.applications.views.texts import applicant_texts
from madoguchi.linking import oauth
from madoguchi.notices import application_views as printing
from madoguchi.operations import views as operations
from madoguchi.procedures import department_views

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="applications:list"), name="home"),
    path(
        "login/",
        session.StaffLoginView.as_view(authentication_form=LockoutAuthenticationForm),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("second-factor/", second_factor, name="second_factor"),
    path("password/", session.password_change, name="password_change"),
    path("session/status/", session.session_status, name="session_status"),
    path("session/keepalive/", session.session_keepalive, name="session_keepalive"),
    path("logout/everywhere/", logout_everywhere, name="logout_everywhere"),
    # OAuth2 for core systems (DESIGN §6: when madoguchi is their authorization server).
    path("oauth/token", oauth.token, name="oauth_token"),
    path("oauth/introspect", oauth.introspect, name="oauth_introspect"),
    path("oauth/revoke", oauth.revoke, name="oauth_revoke"),
    path("healthz", operations.healthz, name="healthz"),
    path("readyz", operations.readyz, name="readyz"),
    path("status/", operations.status, name="status"),
    # The application's print view is notices' (everything printed), at the workflow's address.
    path("applications/print.pdf", printing.applications_print, name="print_day"),
    path(
        "applications/<str:receipt_number>/print.pdf",
        printing.application_print,
        name="application_print",
    ),
    path(
        "applications/<str:receipt_number>/sheet.pdf",
        printing.application_sheet,
        name="application_sheet",
    ),
    path("applications/", include("madoguchi.applications.urls")),
    path("staff/departments/", department_views.departments, name="departments"),
    path("staff/departments/assign/", department_views.assign, name="department_assign"),
    path(
        "staff/departments/<slug:code>/rename/",
        department_views.rename,
        name="department_rename",
    ),
    path("staff/departments/<slug:code>/merge/", department_views.merge, name="department_merge"),
    path("staff/", include("madoguchi.accounts.urls")),
    # Before the catalog's own addresses, whose second part is a version.
    path("procedures/<slug:procedure_id>/texts/", applicant_texts, name="applicant_texts"),
    path("procedures/", include("madoguchi.procedures.urls")),
    path("intake/", include("madoguchi.intake.urls")),
    path("audit/", include("madoguchi.operations.audit_urls")),
    path("linking/", include("madoguchi.linking.urls")),
    path("residents/", include("madoguchi.residents.urls")),
    path("notices/", include("madoguchi.notices.urls")),
    path("insights/", include("madoguchi.insights.urls")),
    path("minutes/", include("madoguchi.minutes.urls")),
    path("api/v1/", include("madoguchi.api.urls")),
]

handler500 = "madoguchi.operations.views.server_error"
