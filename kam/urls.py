from django.urls import include, path

urlpatterns = [
    path("", include("kam.web.urls")),
]
