from django.urls import path

from volunteers import views

urlpatterns = [
    path("scan/<str:token>/", views.scan, name="scan"),
    path("me/activity/", views.my_activity, name="my-activity"),
    path("me/card/", views.my_card, name="my-card"),
    path("places/<int:pk>/poster/", views.place_poster, name="place-poster"),
]
