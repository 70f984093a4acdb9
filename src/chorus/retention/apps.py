from django.apps import AppConfig


class RetentionConfig(AppConfig):
    name = "chorus.retention"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from chorus.retention.services import sweep  # noqa: F401 (registers the periodic job)
