from django.urls import path

from . import brand_views, public_views

app_name = "evaluation_public"

urlpatterns = [
    path("projects/<str:slug>/feedback/", public_views.feedback, name="feedback"),
    path("brand-projects/", brand_views.brand_list, name="brand_list"),
    path("brand-projects/<str:slug>/replicate/", brand_views.replicate, name="replicate"),
]
