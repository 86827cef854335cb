from django.urls import path

from yiwang.intake.views import desk, hotline, open311_queue, opendata

app_name = "intake"

urlpatterns = [
    path("", desk.desk, name="desk"),
    path("hotline/", hotline.queue, name="hotline_queue"),
    path("hotline/orders/<int:pk>/", hotline.order_page, name="hotline_order"),
    path("hotline/orders/<int:pk>/place/", hotline.place, name="hotline_place"),
    path("hotline/orders/<int:pk>/return/", hotline.return_order, name="hotline_return"),
    path("hotline/import/", hotline.import_page, name="hotline_import"),
    path("hotline/import/<int:pk>/", hotline.import_job, name="hotline_import_job"),
    path("hotline/template.xlsx", hotline.template, name="hotline_template"),
    path("hotline/deliveries/", hotline.deliveries, name="hotline_deliveries"),
    path("hotline/deliveries/<int:pk>/replay/", hotline.replay, name="hotline_replay"),
    path("hotline/daily/", hotline.daily, name="hotline_daily"),
    path("opendata/", opendata.import_page, name="opendata_import"),
    path("opendata/<int:pk>/", opendata.import_job, name="opendata_import_job"),
    path("open311/", open311_queue.queue, name="open311_queue"),
    path("open311/<str:token>/", open311_queue.request_page, name="open311_request"),
    path("open311/<str:token>/place/", open311_queue.place, name="open311_place"),
]
