from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "kam.clients"
    label = "clients"

    def ready(self) -> None:
        from kam.clients.search import register

        register()  # client search folds the case of every letter on SQLite too
