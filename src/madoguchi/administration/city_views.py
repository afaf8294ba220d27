"""The city administration pages."""
