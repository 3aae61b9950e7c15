"""Django's password views, with API tokens revoked whenever the password changes."""

from django.contrib.auth import views as auth_views

from lms.services import user_api_tokens_revoke


class PasswordChangeView(auth_views.PasswordChangeView):
    def form_valid(self, form):
        response = super().form_valid(form)
        user_api_tokens_revoke(user=form.user)
        return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    def form_valid(self, form):
        response = super().form_valid(form)
        user_api_tokens_revoke(user=form.user)
        return response
