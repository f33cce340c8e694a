from django.urls import include, path

urlpatterns = [
    path("api/v1/", include("kam.api.urls")),
    path("", include("kam.web.urls")),
]
