"""Routes of the system administration pages (filled by their views module)."""

urlpatterns: list = []
