from django.urls import path

from yiwang.cases.views import detail, report, search, worklists

app_name = "cases"

urlpatterns = [
    path("", worklists.workbench, name="workbench"),
    path("worklist/<str:key>/", worklists.worklist_page, name="worklist"),
    path("search/", search.search_page, name="search"),
    path("search/export/", search.export, name="export"),
    path("new/", report.new_case, name="new"),
    path("types/", report.type_picker, name="type_picker"),
    path("<str:number>/", detail.case_page, name="detail"),
    path("<str:number>/transition/<str:name>/", detail.transition, name="transition"),
    path("<str:number>/keep-separate/", detail.keep_separate, name="keep_separate"),
    path("<str:number>/photos/", detail.upload_photo, name="photo_upload"),
    path("<str:number>/photos/<int:photo_id>/", detail.photo, name="photo"),
    path("<str:number>/photos/<int:photo_id>/remove/", detail.remove_photo, name="photo_remove"),
]
