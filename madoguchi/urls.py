from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from madoguchi.accounts.login import LockoutAuthenticationForm, logout_everywhere
from madoguchi.accounts.second_factor import second_factor
from madoguchi.applications.views import applicant_texts

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="applications:list"), name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(authentication_form=LockoutAuthenticationForm),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("second-factor/", second_factor, name="second_factor"),
    path("logout/everywhere/", logout_everywhere, name="logout_everywhere"),
    path("applications/", include("madoguchi.applications.urls")),
    path("staff/", include("madoguchi.accounts.urls")),
    # Before the catalog's own addresses, whose second part is a version.
    path("procedures/<slug:procedure_id>/texts/", applicant_texts, name="applicant_texts"),
    path("procedures/", include("madoguchi.procedures.urls")),
    path("intake/", include("madoguchi.intake.urls")),
    path("audit/", include("madoguchi.audit.urls")),
    path("linking/", include("madoguchi.linking.urls")),
    path("notices/", include("madoguchi.notices.urls")),
    path("insights/", include("madoguchi.insights.urls")),
    path("api/v1/", include("madoguchi.api.urls")),
]
