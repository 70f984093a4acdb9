from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "chorus.cases"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from chorus.cases.services import reminders, repair, retention  # noqa: F401 (registers their tasks)
