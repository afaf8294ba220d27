"""Routes of the procedure administration pages (filled by their views module)."""

urlpatterns: list = []
