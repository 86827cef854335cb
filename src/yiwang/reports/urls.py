from django.urls import path

from yiwang.reports import views

app_name = "reports"

urlpatterns = [
    path("hotspots/", views.hotspots_page, name="hotspots"),
]
