from django.urls import path

from yiwang.reports import views

app_name = "reports"

urlpatterns = [
    path("hotspots/", views.hotspots_page, name="hotspots"),
    path("supervision/", views.supervision_page, name="supervision"),
    path("supervision/<int:spot_id>/release/", views.release_spot, name="release_spot"),
]
