from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("notifications/language/", views.language, name="language"),
]
