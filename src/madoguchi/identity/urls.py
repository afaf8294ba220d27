from django.urls import include, path

from madoguchi.identity import views, views_card, views_oidc

app_name = "identity"
urlpatterns = [
    path("login/", views.login, name="login"),
    path("login/code/", views.login_code, name="login_code"),
    path("logout/", views.logout, name="logout"),
    path("login/card/", views_card.login, name="card_login"),
    path("login/card/link/", views_card.link_after_email, name="card_link"),
    path("login/card/<uuid:public_id>/", views_card.wait, name="card_wait"),
    path("login/card/<uuid:public_id>/status/", views_card.status, name="card_status"),
    path("login/card/<uuid:public_id>/finish/", views_card.finish, name="card_finish"),
    path("login/digital-auth/", views_oidc.begin, name="digital_auth_login"),
    path("login/digital-auth/callback/", views_oidc.callback, name="digital_auth_callback"),
    path("login/digital-auth/link/", views_oidc.link_after_email, name="digital_auth_link"),
    path("login/digital-auth/jwks.json", views_oidc.jwks, name="digital_auth_jwks"),
    path("mypage/notifications/", include("madoguchi.identity.contacts.urls")),  # 通知の受け取り方
]
