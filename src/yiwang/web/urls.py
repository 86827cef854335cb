from django.urls import path

from yiwang.catalog import views as catalog_views
from yiwang.geo import views as geo_views
from yiwang.web import account, exports, views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", account.LogoutView.as_view(), name="logout"),
    path("account/tokens/", account.my_tokens, name="tokens"),
    path("account/lockouts/", account.lockouts, name="lockouts"),
    path("map/", geo_views.map_page, name="map"),
    path("exports/", exports.export_list, name="exports"),
    path("exports/<int:job_id>/", exports.export_job, name="export"),
    path("exports/<int:job_id>/download/", exports.export_download, name="export_download"),
    path("catalog/types/", catalog_views.type_list, name="types"),
    path("catalog/components/", catalog_views.component_list, name="components"),
    path(
        "catalog/components/<str:ident>/",
        catalog_views.component_detail,
        name="component",
    ),
]
