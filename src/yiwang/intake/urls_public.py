"""Public reporting (公众上报) under /report/: the public pages and the operators' photo queue."""

from django.urls import path

from yiwang.intake.views import public, public_review

app_name = "intake_public"

urlpatterns = [
    path("", public.report_page, name="report"),
    path("place/", public.place, name="place"),
    path("done/<str:code>/", public.done, name="done"),
    path("track/", public.track_lookup, name="track_lookup"),
    path("track/<str:code>/", public.track, name="track"),
    path("nearby/", public.nearby, name="nearby"),
    path("photos/<int:review_id>/", public.photo, name="photo"),
    path("review/", public_review.review_queue, name="review_queue"),
    path("review/<int:review_id>/", public_review.review, name="review"),
]
