from django.contrib.auth import views as auth_views
from django.urls import path

from kam.web import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("language/", views.language_set, name="language_set"),
    path("health/", views.health, name="health"),
]
