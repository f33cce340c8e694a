from django.contrib.auth import views as auth_views
from django.urls import include, path

from kam.web import auth, people, views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("login/", auth.SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("language/", views.language_set, name="language_set"),
    path("health/", views.health, name="health"),
    path("me/", people.me, name="me"),
    path("me/password/", people.me_password, name="me_password"),
    path("me/tokens/", include("kam.web.tokens")),
    path("people/", include("kam.web.people")),
    path("clients/", include("kam.web.clients")),
    path("imports/", include("kam.web.imports")),
    path("selection/", include("kam.web.selection")),
    path("organisation/", include("kam.web.organisation")),
    # the work module first: its pages across accounts ("queue/", "white-space/"...)
    # come before the plan's "<external id>/"
    path("accounts/", include("kam.web.account_work")),
    path("accounts/", include("kam.web.account_plan")),
]
