"""One training per user at a time, the others in line; uploads on a queue of their own."""

import subprocess
import sys
import time

import pytest

from personas.models import DataFile, TrainingRun
from personas.services.training import cancel_training, progress_frame, start_training
from personas.services.uploads import store_upload
from personas.tasks import parse_data_file_task
from tests.personas.support import (
    REPO,
    WHATSAPP_SAMPLE,
    empty_task_queue,
    enqueued_tasks,
    upload,
    worker_env,
)


def with_data(persona):
    DataFile.objects.create(
        persona=persona, original_name="chat.txt", file="uploads/x.txt",
        status=DataFile.Status.PARSED,
    )
    return persona


def dispatched(tasks) -> list[int]:
    return [result.args[0] for result in tasks]


@pytest.mark.django_db
def test_a_users_runs_take_turns_in_order(make_persona, media_root,
                                          django_capture_on_commit_callbacks):
    first, second, third = (with_data(make_persona("ana", slug)) for slug in ("a", "b", "c"))
    other = with_data(make_persona("bob", "d"))
    with enqueued_tasks() as tasks, django_capture_on_commit_callbacks(execute=True):
        runs = [start_training(persona) for persona in (first, second, third)]
        bobs = start_training(other)
    assert dispatched(tasks) == [runs[0].pk, bobs.pk]  # ana's others wait for her first
    assert [progress_frame(run)["queue_place"] for run in runs] == [1, 2, 3]
    assert progress_frame(bobs)["queue_place"] == 4

    with enqueued_tasks() as tasks, django_capture_on_commit_callbacks(execute=True):
        cancel_training(runs[0])
    assert dispatched(tasks) == [runs[1].pk]  # the next in line, not the newest
    runs[2].refresh_from_db()
    assert progress_frame(runs[2])["queue_place"] == 2


@pytest.mark.django_db(transaction=True)
def test_uploads_are_read_while_the_training_queue_is_full(make_persona, media_root, tmp_path):
    empty_task_queue()
    persona = with_data(make_persona())
    run = start_training(persona)  # enqueued on commit: autocommit here
    data_file = store_upload(persona, upload(WHATSAPP_SAMPLE))
    parse_data_file_task.enqueue(data_file.pk)
    reader = subprocess.Popen(
        [sys.executable, "manage.py", "worker", "--queue", "parsing"], cwd=REPO,
        env=worker_env(media_root, tmp_path), stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while DataFile.objects.get(pk=data_file.pk).status != DataFile.Status.PARSED:
            assert time.monotonic() < deadline, "the upload was not read"
            time.sleep(0.2)
    finally:
        reader.terminate()
        reader.wait(30)
    run.refresh_from_db()
    assert run.status == TrainingRun.Status.QUEUED  # left for the training worker
