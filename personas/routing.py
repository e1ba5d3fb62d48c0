from django.urls import path

from personas import consumers

websocket_urlpatterns = [
    path("ws/ping/", consumers.PingConsumer.as_asgi()),
    path("ws/personas/<slug:slug>/chat/", consumers.PersonaChatConsumer.as_asgi()),
    path("ws/personas/<slug:slug>/training/", consumers.TrainingConsumer.as_asgi()),
    path("ws/share/<str:token>/chat/", consumers.ShareChatConsumer.as_asgi()),
]
