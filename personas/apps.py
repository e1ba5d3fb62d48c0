from django.apps import AppConfig


class PersonasConfig(AppConfig):
    name = "personas"
    verbose_name = "Digital selves"

    def ready(self) -> None:
        from personas.services.deletion import connect_signals

        connect_signals()
