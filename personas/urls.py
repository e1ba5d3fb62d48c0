from django.urls import path

from personas.views import chat, dashboard, data, persona, sharing, training

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("personas/new/", dashboard.create_persona, name="persona_create"),
    path("base-model/status/", dashboard.base_model_status, name="base_model_status"),
    path("p/<slug:slug>/", persona.persona_detail, name="persona_detail"),
    path("p/<slug:slug>/identity/", persona.save_identity, name="persona_identity"),
    path("p/<slug:slug>/replies/", persona.save_reply_mode, name="persona_reply_mode"),
    path("p/<slug:slug>/delete/", persona.delete_persona, name="persona_delete"),
    path("p/<slug:slug>/status/", data.persona_status, name="persona_status"),
    path("p/<slug:slug>/files/", data.upload_files, name="persona_upload"),
    path("p/<slug:slug>/files/<int:file_id>/remove/", data.remove_file, name="persona_file_remove"),
    path("p/<slug:slug>/files/<int:file_id>/retry/", data.retry_file, name="persona_file_retry"),
    path("p/<slug:slug>/corpus.<str:fmt>", data.download_corpus, name="persona_corpus"),
    path("p/<slug:slug>/train/", training.start_training, name="persona_train"),
    path(
        "p/<slug:slug>/runs/<int:run_id>/cancel/",
        training.cancel_training,
        name="persona_run_cancel",
    ),
    path(
        "p/<slug:slug>/versions/<int:version_id>/activate/",
        training.activate_version,
        name="persona_version_activate",
    ),
    path("p/<slug:slug>/model.zip", training.download_model, name="persona_model_download"),
    path("p/<slug:slug>/share/links/", sharing.create_share_link, name="persona_share_create"),
    path(
        "p/<slug:slug>/share/links/<int:link_id>/revoke/",
        sharing.revoke_share_link,
        name="persona_share_revoke",
    ),
    path("p/<slug:slug>/share/users/", sharing.share_with_user, name="persona_share_user"),
    path(
        "p/<slug:slug>/share/users/<int:share_id>/remove/",
        sharing.unshare_with_user,
        name="persona_unshare_user",
    ),
    path("p/<slug:slug>/chat/", chat.persona_chat, name="persona_chat"),
    path(
        "p/<slug:slug>/chat/<int:conversation_id>/delete/",
        chat.delete_conversation,
        name="delete_conversation",
    ),
    path("s/<str:token>/", chat.shared_chat, name="shared_chat"),
    path(
        "s/<str:token>/<int:conversation_id>/delete/",
        chat.delete_shared_conversation,
        name="delete_shared_conversation",
    ),
]
