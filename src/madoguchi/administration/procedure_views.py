"""The procedure administration pages."""
