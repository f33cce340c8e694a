from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "kam.clients"
    label = "clients"
