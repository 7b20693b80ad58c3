from django.urls import path

from madoguchi.endpoints import urlpatterns as declared

from .openapi import ROUTERS, served

app_name = "api"

urlpatterns = [path("openapi.json", served, name="openapi"), *declared(*ROUTERS)]
