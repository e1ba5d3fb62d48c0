from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from ingestion import build_pairs, inspect, iter_messages
from tests.ingestion.conftest import FIXTURES

ENGLISH = FIXTURES / "line" / "LINE Chat with Maya.txt"
JAPANESE = FIXTURES / "line" / "[LINE] 山歩きの会.txt"


def test_english_export_with_quoted_multiline_media_and_app_lines():
    messages = list(iter_messages(ENGLISH))
    assert messages[0].timestamp == datetime(2020, 1, 17, 9, 15)
    assert messages[2].text == 'Lunch today?\nThe new ramen place\n\nopens at "noon"'
    assert messages[3].kind == "media"  # [Sticker]
    assert messages[5].kind == "system"  # ☎ Missed call
    assert messages[6].timestamp == datetime(2020, 1, 18, 10, 2)
    assert (messages[-1].author, messages[-1].kind) == ("", "system")  # "Maya unsent a message."
    summary = inspect(ENGLISH)
    assert summary["format"] == "line" and summary["skipped"] == 0
    (chat,) = summary["conversation_list"]
    assert chat["title"] == "Maya" and not chat["is_group"]
    assert summary["participants"] == {"Maya": 3, "Anand": 3}


def test_japanese_group_export_with_am_pm_words_and_an_impossible_time():
    messages = list(iter_messages(JAPANESE))
    assert messages[0].timestamp == datetime(2020, 2, 1, 8, 5)
    assert messages[3].timestamp == datetime(2020, 2, 1, 12, 0) and messages[3].kind == "media"
    assert messages[4].text == "いい景色！\nまた行こう"
    assert messages[-1].timestamp == datetime(2020, 2, 2, 21, 30)
    summary = inspect(JAPANESE)
    assert summary["conversation_list"][0]["title"] == "山歩きの会"
    assert summary["conversation_list"][0]["is_group"]
    assert summary["warnings"] == ["[LINE] 山歩きの会.txt:13: skipped an impossible time '25:61'"]


def test_pairs_answer_as_the_chosen_author():
    pairs = build_pairs([ENGLISH], me=["Anand"])
    assert pairs[0].context[-1] == ("Maya", "Good morning!")
    assert pairs[0].response == "Morning 😊" and pairs[0].addressee == "Maya"


def test_android_date_lines_and_twelve_hour_clock_without_title(tmp_path):
    path = tmp_path / "chat.txt"
    path.write_text(
        "Fri, 01/17/2020\n9:15 PM\tMaya\thi\n12:05 AM\tAnand\thello\n", encoding="utf-8"
    )
    stamps = [m.timestamp for m in iter_messages(path)]
    assert stamps == [datetime(2020, 1, 17, 21, 15), datetime(2020, 1, 17, 0, 5)]


ONE_LINE = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=60
).filter(lambda text: text.strip() and text[0] != '"')


@settings(max_examples=50, deadline=None)
@given(texts=st.lists(ONE_LINE, min_size=1, max_size=8))
def test_any_one_line_text_reads_back_exactly(tmp_path_factory, texts):
    path = tmp_path_factory.mktemp("line") / "chat.txt"
    body = "".join(f"10:{i:02d}\tMaya\t{text}\n" for i, text in enumerate(texts))
    path.write_text(f"[LINE] Chat history with Maya\n\n2020/01/17(Fri)\n{body}", encoding="utf-8")
    assert [m.text for m in iter_messages(path)] == texts
