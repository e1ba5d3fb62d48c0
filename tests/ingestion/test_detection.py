"""Which parser takes each document: every fixture, and the layouts that look alike."""

import pytest

from ingestion.detect import FORMATS, detect
from ingestion.sources import document
from tests.ingestion.conftest import FIXTURES

EXPECTED = {
    "whatsapp": "whatsapp",
    "telegram_html": "telegram_html",
    "telegram_json": "telegram_json",
    "messenger": "messenger",
    "instagram": "messenger",
    "csv": "csv",
    "yaml": "yaml",
    "signal": "signal",
    "line": "line",
    "sms": "sms",
}
FILES = sorted(p for p in FIXTURES.rglob("*") if p.is_file() and p.suffix != ".zip")


def expected_format(path):
    folder = path.relative_to(FIXTURES).parts[0]
    if folder == "discord":
        return "discord_" + path.suffix[1:]
    return EXPECTED.get(folder, folder)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_every_fixture_goes_to_its_own_parser(path):
    assert detect(document(path)).FORMAT == expected_format(path)


def test_every_format_has_a_fixture():
    # The general corpora (chitchat, ConvAI2) have no fixture files: their tests write them.
    assert {module.FORMAT for module in FORMATS} - {"chitchat", "convai2"} <= {
        expected_format(path) for path in FILES
    }


def detected(tmp_path, text):
    path = tmp_path / "chat.txt"
    path.write_text(text, encoding="utf-8")
    return detect(document(path)).FORMAT


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # WhatsApp iOS with a year-first locale: the same brackets as Signal, with seconds.
        ("[2021-01-05, 00:04:09] Maya: hi\n[2021-01-05, 00:05:10] Anand: hey\n", "whatsapp"),
        ("[2021-01-05 00:04:09] Maya: hi\n[2021-01-05 00:05:10] Anand: hey\n", "whatsapp"),
        ("\u200e[05/01/2021, 00:04:09] Maya: \u200eimage omitted\n", "whatsapp"),
        # signal-export: no seconds with the comma, or two trailing spaces, or blank lines.
        ("[2021-01-05, 00:04] Maya: hi\n[2021-01-05, 00:05] Me: hey\n", "signal"),
        ("[2021-01-05 00:04:09] Maya: hi  \n[2021-01-05 00:05:10] Me: hey  \n", "signal"),
        ("[2021-01-05 00:04:09] Maya: hi\n\n[2021-01-05 00:05:10] Me: hey\n\n", "signal"),
        # DiscordChatExporter's CSV names author and content columns a CSV log also knows.
        (
            "AuthorID,Author,Date,Content,Attachments,Reactions\n1,Maya,1/1/2020 1:00 PM,hi,,\n",
            "discord_csv",
        ),
        ("Author,Date,Content,Attachments\nMaya,1/1/2020 1:00 PM,hi,\n", "discord_csv"),
        ("author,date,content\nMaya,2020-01-01,hi\n", "csv"),
        # Signal's JSON Lines next to the JSON formats that hold a sender too.
        ('{"date": "2021-01-05T00:04:09", "sender": "Maya", "body": "hi"}\n', "signal"),
        ('{"messages": [{"sender": "a", "timestamp": 1, "text": "hi"}]}', "chitchat"),
        # LINE without its title line (a trimmed export).
        ("2020/01/17(Fri)\n09:15\tMaya\thi\n09:16\tAnand\they\n", "line"),
    ],
)
def test_look_alike_layouts(tmp_path, text, expected):
    assert detected(tmp_path, text) == expected
