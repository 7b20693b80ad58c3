from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "madoguchi.accounts"
    label = "accounts"
    verbose_name = "職員・所属"

    def ready(self) -> None:
        from . import login  # noqa: F401 (connects the login signal receivers)

        try:
            from django_auth_ldap.backend import ldap_error
        except ImportError:  # installed without the [ldap] extra: no directory sign-in
            return
        from .directory import report_unreachable

        ldap_error.connect(report_unreachable, dispatch_uid="madoguchi-directory-unreachable")
