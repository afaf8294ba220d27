"""Routes of the city administration pages (filled by their views module)."""

urlpatterns: list = []
