from django.urls import path

from . import views

app_name = "organizations"

urlpatterns = [
    path("organizations/", views.organization_list, name="list"),
    path("organizations/<str:slug>/", views.organization_detail, name="detail"),
]
