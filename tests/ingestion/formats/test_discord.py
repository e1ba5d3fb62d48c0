import json
import tracemalloc
from datetime import datetime

import pytest

from ingestion import IngestionError, build_pairs, inspect, iter_messages
from tests.ingestion.conftest import FIXTURES

JSON = FIXTURES / "discord" / "Board Game Night - general [812345678901234567].json"
CSV = FIXTURES / "discord" / "Direct Messages - maya [612345678901234567].csv"


def local(text):
    return datetime.fromisoformat(text).astimezone().replace(tzinfo=None)


def test_json_people_bots_notices_replies_and_attachments():
    messages = list(iter_messages(JSON))
    assert [(m.author, m.kind) for m in messages] == [
        ("Ravi", "system"),  # joined the server
        ("Maya", "text"),  # the server nickname, not the user name "maya.g"
        ("Carl-bot", "system"),  # bots are not people
        ("anand_k", "text"),
        ("Ravi", "media"),
        ("Maya", "system"),  # pinned a message
        ("Ravi", "text"),
    ]
    assert messages[1].timestamp == local("2022-05-06T18:01:12.456+00:00")
    assert messages[3].reply_to == "1000000000000000002"
    assert messages[3].text == "I can, and snacks\ntoo"


def test_json_summary_names_server_and_channel_and_counts_the_bad_message():
    summary = inspect(JSON)
    assert summary["format"] == "discord_json"
    (chat,) = summary["conversation_list"]
    assert (chat["id"], chat["title"]) == ("812345678901234567", "#general (Board Game Night)")
    assert chat["is_group"] and summary["participants"] == {"Maya": 1, "anand_k": 1, "Ravi": 1}
    assert summary["warnings"] == [f"{JSON.name}: skipped message #8: no author"]
    pairs = build_pairs([JSON], me=["anand_k"])
    assert pairs[0].response == "I can, and snacks too"


def test_csv_dates_tags_notices_attachments_and_bad_rows():
    messages = list(iter_messages(CSV))
    assert messages[0].author == "maya"  # "maya#4821": the tag the JSON has not
    assert messages[0].timestamp == datetime(2020, 1, 17, 17, 45)
    assert messages[1].text == "Yes! Give me 10 minutes\nneed to eat first"
    assert [m.kind for m in messages[2:4]] == ["media", "system"]
    assert messages[4].timestamp == datetime(2020, 1, 17, 0, 5)  # 12:05 AM
    assert messages[-1].timestamp is None
    summary = inspect(CSV)
    assert summary["format"] == "discord_csv"
    assert summary["conversation_list"][0]["id"] == "612345678901234567"
    assert summary["conversation_list"][0]["title"] == "maya"
    assert summary["warnings"] == [
        f"{CSV.name}:7: skipped a row with 3 cells",
        f"{CSV.name}: 1 dates could not be read and were left empty",
    ]


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        ("17.01.2020 17:45", datetime(2020, 1, 17, 17, 45)),
        ("17/01/2020 17:45", datetime(2020, 1, 17, 17, 45)),
        ("05/01/2020 17:45", datetime(2020, 1, 5, 17, 45)),  # 24-hour: day first
        ("05/01/2020 5:45 PM", datetime(2020, 5, 1, 17, 45)),  # 12-hour: the US's month first
        ("17-Jan-20 05:45 PM", datetime(2020, 1, 17, 17, 45)),
        ("2020-01-17 17:45", datetime(2020, 1, 17, 17, 45)),
        ("2020-01-17T17:45:00", datetime(2020, 1, 17, 17, 45)),
    ],
)
def test_csv_date_styles(tmp_path, date, expected):
    path = tmp_path / "export.csv"
    path.write_text(
        f'AuthorID,Author,Date,Content,Attachments,Reactions\n"1","Maya","{date}","hi","",""\n'
    )
    assert next(iter_messages(path)).timestamp == expected


def test_broken_json_is_a_clear_error(tmp_path):
    path = tmp_path / "channel.json"
    text = JSON.read_text(encoding="utf-8")
    path.write_text(text[: len(text) // 2], encoding="utf-8")
    with pytest.raises(IngestionError, match="channel.json: broken JSON"):
        inspect(path)


def generated_channel(path, count):
    message = {
        "id": "1",
        "type": "Default",
        "timestamp": "2022-05-06T18:01:12.456+00:00",
        "content": "see you at seven " * 3,
        "author": {"id": "7", "name": "maya.g", "nickname": "Maya", "isBot": False},
        "attachments": [],
    }
    with open(path, "w", encoding="utf-8") as out:
        out.write('{"guild": {"id": "9", "name": "G"}, "channel": {"id": "8", "name": "general"},')
        out.write('"messages": [')
        out.write(",\n".join([json.dumps(message, indent=2)] * count))
        out.write(f'], "messageCount": {count}}}')


def test_json_memory_stays_flat_as_the_channel_grows(tmp_path):
    peaks = []
    for count in (10_000, 40_000):  # both beyond one block of text
        path = tmp_path / f"channel-{count}.json"
        generated_channel(path, count)
        tracemalloc.start()
        assert sum(1 for _ in iter_messages(path)) == count
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert peaks[1] < peaks[0] * 1.2 and peaks[1] < 4 * 2**20
