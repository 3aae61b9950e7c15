from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from lms import auth_views as pathwise_auth
from lms.forms import AdminLoginForm, LoginForm
from lms.views import home as views
from lms.views import people

admin.site.login_form = AdminLoginForm

auth_patterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            authentication_form=LoginForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/change/", pathwise_auth.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("password/reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        pathwise_auth.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]

api_v1_patterns = [
    path("lms/", include("lms.api.urls")),
    path("courses/", include("courses.api.urls")),
    path("assessments/", include("assessments.api.urls")),
    path("personalization/", include("personalization.api.urls")),
    path("livestream/", include("livestream.api.urls")),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("school/switch/", views.school_switch, name="school_switch"),
    path("school/people/", people.people, name="school_people"),
    path("school/people/<int:user_id>/", people.person, name="school_person"),
    path(
        "school/people/<int:user_id>/send-reset/",
        people.person_send_reset,
        name="school_person_send_reset",
    ),
    path("school/classrooms/", people.classrooms, name="school_classrooms"),
    path("school/classrooms/<int:classroom_id>/", people.classroom, name="school_classroom"),
    path(
        "school/classrooms/<int:classroom_id>/students/<int:user_id>/remove/",
        people.classroom_remove_student,
        name="school_classroom_remove_student",
    ),
    path("courses/", include("courses.urls")),
    path("assessments/", include("assessments.urls")),
    path("learn/", include("personalization.urls")),
    path("lectures/", include("livestream.urls")),
    path("accounts/", include(auth_patterns)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1_patterns)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
]

handler400 = views.handler400
handler403 = views.handler403
handler404 = views.handler404
handler500 = views.handler500
