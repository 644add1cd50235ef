from django.urls import path

from . import public_views

app_name = "evaluation_public"

urlpatterns = [
    path("projects/<str:slug>/feedback/", public_views.feedback, name="feedback"),
]
