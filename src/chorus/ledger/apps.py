from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "chorus.ledger"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from chorus.ledger import tasks  # noqa: F401 (registers the witness task and schedule)
