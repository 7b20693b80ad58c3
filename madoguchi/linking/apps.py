from django.apps import AppConfig


class LinkingConfig(AppConfig):
    name = "madoguchi.linking"
    label = "linking"
    verbose_name = "基幹システム連携"

    def ready(self) -> None:
        # The demo plugins (demo, failing-demo) register themselves on import; a
        # municipality's own plugins are registered the same way from their app's ready().
        from madoguchi.applications.signals import entering_handoff, leaving_handoff

        from .deliveries import schedule_delivery, withdraw_delivery
        from .plugins import demo  # noqa: F401

        entering_handoff.connect(schedule_delivery, dispatch_uid="linking.schedule_delivery")
        leaving_handoff.connect(withdraw_delivery, dispatch_uid="linking.withdraw_delivery")
