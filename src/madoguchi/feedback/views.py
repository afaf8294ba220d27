"""The satisfaction survey's one page (/survey/<token>/): no login, the signed link is the key.

GET shows the question (or the thanks, once the link has been answered); POST stores the answer
and redirects to the same address, which then shows the thanks, so a reload or a second tap never
makes a second row. Anything a client can send (an edited, expired or other city's token, no
rating, a rating of 9, a comment too long) gets a page with the reason, never a 500.

On the counter tablet (touchpoint "counter") the page speaks the visitor's language from the link
rather than the tablet browser's remembered choice (the previous visitor's), offers no language
switch or navigation, and goes back to the tablet's page by itself.
"""

from contextlib import nullcontext

from django.shortcuts import redirect, render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from madoguchi.core import i18n
from madoguchi.feedback import invites, services
from madoguchi.feedback.forms import SurveyForm
from madoguchi.feedback.models import Rating, Touchpoint

TABLET_IDLE_SECONDS = 180  # an unanswered survey on the tablet gives the screen back to the desk
TABLET_THANKS_SECONDS = 8


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def answer(request, token):
    try:
        invite = invites.read_token(token, getattr(request, "municipality", None))
    except invites.InvalidInvite:
        return render(request, "feedback/invalid.html", status=404)
    counter = invite.touchpoint == Touchpoint.COUNTER
    language = invite.language if counter else translation.get_language()
    with translation.override(language) if counter else nullcontext():
        context = {"counter": counter, "back": invite.back, "html_lang": i18n.html_lang(language),
                   "language_code": language}
        if services.already_answered(invite):
            return _thanks(request, context)
        form = SurveyForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            services.record_answer(invite, form.cleaned_data["rating"], form.cleaned_data["comment"], language)
            return redirect(request.get_full_path())
        context.update(form=form, ratings=Rating.choices,
                       refresh_seconds=TABLET_IDLE_SECONDS if counter and invite.back else None)
        return render(request, "feedback/answer.html", context, status=400 if form.is_bound else 200)


def _thanks(request, context):
    context["refresh_seconds"] = TABLET_THANKS_SECONDS if context["counter"] and context["back"] else None
    return render(request, "feedback/thanks.html", context)
