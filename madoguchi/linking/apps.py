from django.apps import AppConfig


class LinkingConfig(AppConfig):
    name = "madoguchi.linking"
    label = "linking"
    verbose_name = "基幹システム連携"

    def ready(self) -> None:
        # The demo plugins (demo, failing-demo) register themselves on import; a
        # municipality's own plugins are registered the same way from their app's ready().
        from .plugins import demo  # noqa: F401
