from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "chorus.records"
    default_auto_field = "django.db.models.BigAutoField"
