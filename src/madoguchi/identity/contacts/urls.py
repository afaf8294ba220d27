from madoguchi.identity.contacts import hub, line, phone, push

urlpatterns = [*hub.urlpatterns, *line.urlpatterns, *phone.urlpatterns, *push.urlpatterns]
