from django.urls import path

from yiwang.reports.views import dashboard, hotspots

app_name = "reports"

urlpatterns = [
    path("hotspots/", hotspots.hotspots_page, name="hotspots"),
    path("supervision/", hotspots.supervision_page, name="supervision"),
    path("supervision/checks/<int:check_id>/photo/", hotspots.check_photo, name="check_photo"),
    path("supervision/<int:spot_id>/release/", hotspots.release_spot, name="release_spot"),
    path("dashboard/", dashboard.dashboard_page, name="dashboard"),
    path("dashboard/data/", dashboard.dashboard_data, name="dashboard_data"),
]
