from django.urls import path

from yiwang.evaluation import views

app_name = "evaluation"

urlpatterns = [
    path("", views.evaluation_page, name="page"),
    path("export/", views.evaluation_export, name="export"),
    path("responsibility/", views.responsibility_page, name="responsibility"),
    path("responsibility/export/", views.responsibility_export, name="responsibility_export"),
]
