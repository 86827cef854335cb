from django.urls import path

from yiwang.reports.views import dashboard

app_name = "reports"

urlpatterns = [
    path("dashboard/", dashboard.dashboard_page, name="dashboard"),
    path("dashboard/data/", dashboard.dashboard_data, name="dashboard_data"),
]
