"""URLs of 城管通, the inspector's phone app, mounted at /m/ (its service worker's scope)."""

from django.urls import path

from yiwang.intake.views import inspector

app_name = "inspector_app"

urlpatterns = [
    path("", inspector.report_page, name="report"),
    path("sw.js", inspector.service_worker, name="sw"),
    path("manifest.webmanifest", inspector.manifest, name="manifest"),
    path("types.json", inspector.types_json, name="types"),
    path("tasks/", inspector.tasks_page, name="tasks"),
    path("checks/<int:check_id>/", inspector.check_page, name="check"),
    path("checks/<int:check_id>/done/", inspector.check_done, name="check_done"),
    path("tasks/list/", inspector.task_list, name="task_list"),
    path("tasks/<str:number>/", inspector.task_page, name="task"),
    path("tasks/<str:number>/<str:name>/", inspector.task_move, name="task_move"),
]
