from django.urls import path

from cms import views
from core import display

urlpatterns = [
    path("events.ics", views.events_ics, name="events-ics"),
    path("events/<int:pk>.ics", views.event_ics, name="event-ics"),
    path("districts/<slug:code>/events.ics", views.district_events_ics, name="district-events-ics"),
    path("search/", views.search, name="search"),
    path("text-size/", display.text_size, name="text-size"),
    path("contrast/", display.contrast, name="contrast"),
    path("me/proposals/", views.my_proposals, name="my-proposals"),
    path(
        "me/proposals/<int:pk>/withdraw/",
        views.my_proposal_withdraw,
        name="my-proposal-withdraw",
    ),
    path(
        "proposals/attachments/<int:pk>/",
        views.proposal_attachment,
        name="proposal-attachment",
    ),
]
