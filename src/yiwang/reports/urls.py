from django.urls import path

from yiwang.reports.views import bulletin_files, bulletins, dashboard, hotspots, hub

app_name = "reports"

urlpatterns = [
    path("", hub.hub_page, name="hub"),
    path("hotspots/", hotspots.hotspots_page, name="hotspots"),
    path("supervision/", hotspots.supervision_page, name="supervision"),
    path("supervision/checks/<int:check_id>/photo/", hotspots.check_photo, name="check_photo"),
    path("supervision/<int:spot_id>/release/", hotspots.release_spot, name="release_spot"),
    path("dashboard/", dashboard.dashboard_page, name="dashboard"),
    path("dashboard/data/", dashboard.dashboard_data, name="dashboard_data"),
    path("bulletins/<int:pk>/docx/", bulletin_files.bulletin_docx, name="bulletin_docx"),
    path("bulletins/<int:pk>/xlsx/", bulletin_files.bulletin_xlsx, name="bulletin_xlsx"),
    path("bulletins/", bulletins.bulletins_page, name="bulletins"),
    path("bulletins/issue/", bulletins.issue_bulletin, name="issue_bulletin"),
    path("bulletins/<int:pk>/", bulletins.bulletin_page, name="bulletin"),
]
