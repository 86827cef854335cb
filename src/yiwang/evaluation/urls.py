from django.urls import path

from yiwang.evaluation import views

app_name = "evaluation"

urlpatterns = [path("", views.evaluation_page, name="page")]
