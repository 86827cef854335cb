from django.contrib import admin
from django.urls import include, path

from yiwang.api import api

admin.site.site_header = "一网统管 管理后台"
admin.site.site_title = "一网统管"

urlpatterns = [
    path("api/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("cases/", include("yiwang.cases.urls")),
    path("evaluation/", include("yiwang.evaluation.urls")),
    path("reports/", include("yiwang.reports.urls")),
    path("open311/v2/", include("yiwang.intake.open311_urls")),
    path("m/", include("yiwang.intake.urls_inspector")),
    path("intake/", include("yiwang.intake.urls")),
    path("report/", include("yiwang.intake.urls_public")),
    path("intake/video/", include("yiwang.intake.video_urls")),
    path("", include("yiwang.web.urls")),
]
