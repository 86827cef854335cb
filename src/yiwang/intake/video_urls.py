"""Pages of the video and drone channel (included under /intake/video/)."""

from django.urls import path

from yiwang.intake.views import video

app_name = "intake_video"

urlpatterns = [
    path("cameras/", video.camera_list, name="cameras"),
    path("cameras/new/", video.camera_new, name="camera_new"),
    path("cameras/import/", video.camera_import, name="camera_import"),
    path("cameras/<str:device_id>/edit/", video.camera_edit, name="camera_edit"),
    path("review/", video.review, name="review"),
    path("review/<int:alarm_id>/accept/", video.accept, name="accept"),
    path("review/<int:alarm_id>/reject/", video.reject, name="reject"),
    path("alarms/<int:alarm_id>/snapshot/", video.snapshot, name="snapshot"),
]
