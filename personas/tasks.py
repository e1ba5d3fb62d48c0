"""Background tasks (Django's task API): run by `manage.py worker` (db_worker, or RQ workers
when REDIS_URL is set). Arguments are ids, so a task always reads the current rows.

Reading uploads and training have queues of their own, each with its own worker under
`make run`: a three-hour training never keeps anyone's upload waiting."""

from django_tasks import task

from personas.models import DataFile
from personas.services.training import RunDeleted, mark_stale_runs, run_training
from personas.services.uploads import parse_data_file

PARSING_QUEUE, TRAINING_QUEUE = "parsing", "training"


@task(queue_name=PARSING_QUEUE)
def parse_data_file_task(data_file_id: int) -> str:
    data_file = DataFile.objects.select_related("persona").filter(pk=data_file_id).first()
    if data_file is None:
        return "deleted"
    return parse_data_file(data_file).status


@task(queue_name=TRAINING_QUEUE)
def train_persona_task(run_id: int, resume: bool = False) -> str:
    # Each worker that picks up training also rescues runs whose worker died.
    mark_stale_runs()
    try:
        return run_training(run_id, resume=resume).status
    except RunDeleted:
        return "deleted"  # the persona was deleted while the run waited or trained
