from django.urls import path

from . import views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("outbox/", views.outbox_list, name="outbox_list"),
    path("outbox/<id:pk>/", views.outbox_detail, name="outbox_detail"),
    path("outbox/<id:pk>/html", views.outbox_html, name="outbox_html"),
]
