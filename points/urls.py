from django.urls import path

from points import views

urlpatterns = [
    path("me/points/", views.my_points, name="my-points"),
]
