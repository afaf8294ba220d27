"""`{% city_look municipality as look %}`: a city's look (core/branding.py) where no request
brings it, e.g. in the text of a mail."""

from django import template

from madoguchi.core import branding

register = template.Library()


@register.simple_tag
def city_look(municipality):
    return branding.look(municipality)
