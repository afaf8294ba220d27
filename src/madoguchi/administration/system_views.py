"""The system administration pages."""
