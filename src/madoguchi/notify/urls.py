from django.urls import path

from madoguchi.notify import line_urls, push_urls, views

app_name = "notify"
urlpatterns = [
    path("hooks/<slug:channel>/", views.status_hook, name="status_hook"),
    *line_urls.urlpatterns,  # the LINE webhook (account link, follow, unfollow)
    *push_urls.urlpatterns,  # the service worker and the city's VAPID public key
    # e-mail bounces and complaints (notify/bounces.py): the configured ESP's anymail webhook
    path("anymail/<slug:esp>/tracking/", views.email_tracking, name="email_tracking"),
]
