from django.urls import path

from madoguchi.applications.views import card, catalogue, digital_auth, forms, mypage, verify

app_name = "applications"
urlpatterns = [
    path("", catalogue.catalogue, name="catalogue"),
    path("procedures/<slug:code>/", catalogue.procedure_detail, name="procedure"),
    path("procedures/<slug:code>/start/", forms.start, name="start"),
    path("drafts/<uuid:draft_id>/", forms.resume, name="resume"),
    path("drafts/<uuid:draft_id>/steps/<int:index>/", forms.step, name="step"),
    path("drafts/<uuid:draft_id>/confirm/", forms.confirm, name="confirm"),
    path("drafts/<uuid:draft_id>/discard/", forms.discard, name="discard"),
    path("drafts/<uuid:draft_id>/sign/", card.sign, name="sign"),
    path("drafts/<uuid:draft_id>/sign/digital-auth/", digital_auth.sign_start,
         name="digital_auth_sign"),
    path("drafts/<uuid:draft_id>/card-prefill/", card.prefill_start, name="prefill_start"),
    path("drafts/<uuid:draft_id>/card-prefill/wait/", card.prefill, name="prefill"),
    path("mypage/", mypage.mypage, name="mypage"),
    path("mypage/submissions/<uuid:public_id>/", mypage.submission, name="submission"),
    path("mypage/submissions/<uuid:public_id>/done/", mypage.submitted, name="submitted"),
    path("mypage/submissions/<uuid:public_id>/receipt.pdf", mypage.receipt, name="receipt"),
    path("mypage/submissions/<uuid:public_id>/correct/", mypage.correct, name="correct"),
    path("mypage/submissions/<uuid:public_id>/withdraw/", mypage.withdraw, name="withdraw"),
    path("mypage/documents/<uuid:public_id>/", mypage.document, name="document"),
    path("verify/<uuid:public_id>/", verify.verify, name="verify"),
]
