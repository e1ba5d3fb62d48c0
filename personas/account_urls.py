"""Sign up, log in, log out (POST only) and password change."""

from django.contrib.auth import views as auth_views
from django.urls import path

from personas.security import ThrottledAuthenticationForm, ThrottledPasswordChangeForm
from personas.views import accounts

urlpatterns = [
    path("signup/", accounts.signup, name="signup"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, authentication_form=ThrottledAuthenticationForm
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(
            form_class=ThrottledPasswordChangeForm, success_url="/accounts/password/done/"
        ),
        name="password_change",
    ),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
]
