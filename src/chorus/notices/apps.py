from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "chorus.notices"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from chorus.notices import services  # noqa: F401 (registers the scan and the flush with the worker)
