"""The one question and the optional comment."""

from django import forms
from django.utils.translation import gettext_lazy as _

from madoguchi.feedback.models import Rating
from madoguchi.feedback.services import COMMENT_MAX


class SurveyForm(forms.Form):
    rating = forms.TypedChoiceField(
        choices=Rating.choices, coerce=int, widget=forms.RadioSelect,
        error_messages={"required": _("満足度を1つ選んでください"),
                        "invalid_choice": _("満足度を1つ選んでください")})
    comment = forms.CharField(
        required=False, max_length=COMMENT_MAX, widget=forms.Textarea,
        error_messages={"max_length": _("%(limit_value)d文字以内で入力してください（今は%(show_value)d文字です）")})

    def clean_comment(self):
        # A NUL or other control character is refused by PostgreSQL's text type (a 500) and
        # never part of what a person typed: dropped, line breaks and tabs kept.
        text = self.cleaned_data["comment"]
        return "".join(ch for ch in text if ch in "\n\t" or ch >= " " and ch != "\x7f")
