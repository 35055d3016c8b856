from django.urls import path, re_path

from volunteers import views

urlpatterns = [
    path("scan/<str:token>/", views.scan, name="scan"),
    path("me/", views.my_home, name="my-home"),
    path("me/activity/", views.my_activity, name="my-activity"),
    path("me/line/retry/", views.my_line_retry, name="my-line-retry"),
    path("me/card/", views.my_card, name="my-card"),
    path("me/offers/", views.my_offers, name="my-offers"),
    path("me/pledge/", views.my_pledge, name="my-pledge"),
    re_path(
        r"^me/offers/(?P<pk>\d+)/(?P<answer>accept|decline)/$",
        views.offer_answer,
        name="my-offer-answer",
    ),
    path("me/assignments/", views.my_assignments, name="my-assignments"),
    path("me/assignments/<int:pk>/", views.my_assignment, name="my-assignment"),
    re_path(
        r"^me/assignments/(?P<pk>\d+)/(?P<action>start|finish)/$",
        views.assignment_action,
        name="my-assignment-action",
    ),
    path("me/requests/", views.my_requests, name="my-requests"),
    path("me/requests/<int:pk>/", views.my_request, name="my-request"),
    path("me/profile/", views.my_profile, name="my-profile"),
    path("me/profile/away/", views.my_away, name="my-away"),
    path("me/profile/away/<int:pk>/remove/", views.my_away_remove, name="my-away-remove"),
    path("places/<int:pk>/poster/", views.place_poster, name="place-poster"),
]

urlpatterns += [
    path("me/places/", views.my_places, name="my-places"),
    path("places/<int:pk>/checkins/", views.place_checkins, name="place-checkins"),
    path("places/<int:pk>/kiosk/", views.place_kiosk, name="place-kiosk"),
]
