import codecs
import zipfile
from datetime import datetime, timedelta

import pytest

from ingestion import build_pairs, inspect, iter_messages
from ingestion.reader import read_messages
from ingestion.records import ParseReport
from tests.ingestion.conftest import FIXTURES

WA = FIXTURES / "whatsapp"


def texts(path):
    return [(m.kind, m.author, m.text) for m in iter_messages(path)]


def test_android_us_12h_month_first_with_system_media_and_multiline():
    messages = list(iter_messages(WA / "WhatsApp Chat with Maya.txt"))
    assert messages[0].kind == "system" and "end-to-end encrypted" in messages[0].text
    assert messages[3].timestamp == datetime(2021, 1, 1, 0, 0)  # 12:00 AM is midnight
    assert messages[3].text == "Happy new year 🎉\nsecond line of the same message"
    assert messages[3].line == 4 and messages[4].line == 6
    kinds = {m.text: m.kind for m in messages}
    assert kinds["<Media omitted>"] == "media"
    assert kinds["IMG-20210113-WA0001.jpg (file attached)"] == "media"
    assert kinds["This message was deleted"] == "system"
    assert messages[-2].timestamp == datetime(2021, 1, 13, 9, 16)


def test_title_comes_from_the_export_file_name():
    summary = inspect(WA / "WhatsApp Chat with Maya.txt")
    assert summary["conversation_list"][0]["id"] == "Maya"
    assert summary["conversation_list"][0]["is_group"] is False


def test_summary_counts_only_messages_people_wrote():
    summary = inspect(WA / "WhatsApp Chat with Maya.txt")
    assert summary["format"] == "whatsapp"
    assert summary["messages"] == 5
    assert summary["participants"] == {"Maya": 3, "Anand": 2}
    assert summary["first"] == "2020-12-31T23:59:00"
    assert summary["last"] == "2021-01-13T09:16:00"
    assert summary["skipped"] == 0 and summary["warnings"] == []


def test_german_24h_dotted_dates_and_localized_placeholders():
    messages = list(iter_messages(WA / "android_de_24h.txt"))
    assert messages[1].timestamp == datetime(2020, 12, 31, 23, 59)
    assert [m.kind for m in messages] == ["system", "text", "text", "media", "system", "text"]
    assert messages[-1].timestamp == datetime(2021, 1, 13, 9, 15)


def test_spanish_localized_am_pm_day_first():
    messages = list(iter_messages(WA / "android_es_ampm.txt"))
    assert messages[0].timestamp == datetime(2020, 12, 31, 23, 59)  # "11:59 p. m."
    assert messages[1].timestamp == datetime(2021, 1, 1, 0, 0)  # "12:00 a. m."
    assert messages[2].kind == "media"
    assert messages[3].timestamp == datetime(2021, 1, 13, 13, 15)


def test_year_month_day_order():
    stamps = [m.timestamp for m in iter_messages(WA / "android_iso_24h.txt")]
    assert stamps == [datetime(2020, 12, 31, 23, 59), datetime(2021, 1, 1, 0, 0)]


def test_ios_brackets_seconds_narrow_nbsp_and_invisible_marks():
    messages = list(iter_messages(WA / "ios_narrow_nbsp.txt"))
    assert [m.kind for m in messages] == ["system", "text", "text", "media", "system", "text"]
    assert messages[1].timestamp == datetime(2020, 12, 31, 23, 59, 30)
    assert messages[2].text == "Yes!\nStill here."
    assert messages[3].text == "image omitted"
    assert messages[5].text == "Morning"  # the "<This message was edited>" marker is not text
    assert all("\u200e" not in m.text for m in messages)


def test_ios_group_zip_with_attachment():
    path = WA / "WhatsApp Chat - Friends.zip"
    summary = inspect(path)
    conversation = summary["conversation_list"][0]
    assert conversation["title"] == "Friends" and conversation["is_group"]
    assert summary["participants"] == {"Maya": 2, "Ravi": 1, "Anand": 1}
    kinds = [m.kind for m in iter_messages(path)]
    assert kinds.count("system") == 3 and kinds.count("media") == 1
    (pair,) = build_pairs([path], me=["Anand"])
    assert pair.addressee == "Friends"
    assert pair.context == (("Maya", "Ready for midnight?"), ("Ravi", "Always"))


def test_ambiguous_day_month_order_is_reported():
    summary = inspect(WA / "ambiguous_dates.txt")
    assert any("ambiguous" in w for w in summary["warnings"])
    assert summary["first"] == "2021-02-01T10:00:00"


def test_day_first_is_inferred_from_a_late_date(tmp_path):
    lines = [f"0{d}/01/21, 10:0{d} - A{d % 2}: hi {d}" for d in range(1, 10)]
    lines.append("25/01/21, 10:00 - A0: late")
    path = tmp_path / "chat.txt"
    path.write_text("\n".join(lines) + "\n")
    stamps = [m.timestamp for m in iter_messages(path)]
    assert stamps[1] == datetime(2021, 1, 2, 10, 2)
    assert inspect(path)["warnings"] == []


def test_malformed_lines_are_counted_with_line_numbers():
    summary = inspect(WA / "malformed_lines.txt")
    assert summary["skipped"] == 3
    assert summary["messages"] == 2
    assert any(w.startswith("malformed_lines.txt:1:") for w in summary["warnings"])
    assert any(w.startswith("malformed_lines.txt:3:") for w in summary["warnings"])
    assert any(w.startswith("malformed_lines.txt:4:") for w in summary["warnings"])


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be"])
def test_encodings(tmp_path, encoding):
    text = (WA / "android_es_ampm.txt").read_text(encoding="utf-8")
    path = tmp_path / "chat.txt"
    path.write_bytes(text.encode(encoding))
    if encoding == "utf-16":
        assert path.read_bytes()[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    assert texts(path) == texts(WA / "android_es_ampm.txt")


def test_windows_line_endings(tmp_path):
    path = tmp_path / "chat.txt"
    path.write_bytes((WA / "android_de_24h.txt").read_bytes().replace(b"\n", b"\r\n"))
    assert texts(path) == texts(WA / "android_de_24h.txt")


def test_android_zip_with_localized_chat_name(tmp_path):
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(WA / "android_de_24h.txt", "WhatsApp Chat mit Maya.txt")
    summary = inspect(path)
    assert summary["format"] == "whatsapp"
    assert summary["conversation_list"][0]["title"] == "Maya"
    assert summary["messages"] == 3


def test_german_12h_words_and_unknown_am_pm_words(tmp_path):
    path = tmp_path / "chat.txt"
    path.write_text(
        "31.12.20, 11:59 nachm. - Maya: Prost\n01.01.21, 12:01 vorm. - Anand: Prost!\n"
        "01.01.21, 9:00 xyz - Maya: odd clock\n"
    )
    stamps = [m.timestamp for m in iter_messages(path)]
    assert stamps[:2] == [datetime(2020, 12, 31, 23, 59), datetime(2021, 1, 1, 0, 1)]
    assert any("unknown AM/PM word" in w for w in inspect(path)["warnings"])


def test_long_multiline_message_at_the_start_is_still_detected(tmp_path):
    path = tmp_path / "chat.txt"
    body = "\n".join(f"line {i}" for i in range(60))
    path.write_text(f"1/1/21, 10:00 - Maya: poem\n{body}\n1/1/21, 10:01 - Anand: wow\n")
    messages = list(iter_messages(path))
    assert len(messages) == 2 and messages[0].text.count("\n") == 60


def test_stored_copies_keep_the_uploaded_name_or_fall_back_to_the_content(tmp_path):
    stored = tmp_path / "a1b2c3.txt"
    stored.write_bytes((WA / "WhatsApp Chat with Maya.txt").read_bytes())
    named = inspect(stored, name="WhatsApp Chat with Maya.txt")
    assert named["conversation_list"][0]["title"] == "Maya"
    pairs = build_pairs([stored], me=["Anand"], names=["WhatsApp Chat with Maya.txt"])
    assert {p.conversation for p in pairs} == {"Maya"}
    with zipfile.ZipFile(WA / "WhatsApp Chat - Friends.zip") as archive:
        (tmp_path / "renamed.txt").write_bytes(archive.read("_chat.txt"))
    assert inspect(tmp_path / "renamed.txt")["conversation_list"][0]["title"] == "Friends"
    android = tmp_path / "x9.txt"
    android.write_text(
        '1/1/21, 10:00 - Maya created group "Book club"\n1/1/21, 10:01 - Maya: first!\n'
    )
    assert inspect(android)["conversation_list"][0]["title"] == "Book club"


# Every header layout: day-first, month-first and the two year-first orders, each with the three
# separators; 24- and 12-hour clocks; with and without seconds; Android and iOS framing.
DATE_FORMATS = {
    "dmy": "%d{0}%m{0}%y",
    "mdy": "%m{0}%d{0}%y",
    "ymd": "%y{0}%m{0}%d",
    "ydm": "%y{0}%d{0}%m",
}
LAYOUTS = [
    (order, separator, twelve_hour, seconds, ios)
    for order in DATE_FORMATS
    for separator in "-/."
    for twelve_hour in (False, True)
    for seconds in (False, True)
    for ios in (False, True)
]


def layout_id(layout):
    order, separator, twelve_hour, seconds, ios = layout
    clock = ("12h" if twelve_hour else "24h") + ("-seconds" if seconds else "")
    return f"{order}{separator}-{clock}-{'ios' if ios else 'android'}"


def generated_export(order, separator, twelve_hour, seconds, ios):
    """40 messages over four months (so that days above 12 settle the order), every hour of the
    day (midnight and noon test the 12-hour clock), every fourth message three lines long."""
    moment = datetime(2021, 1, 5, 0, 4, 9)
    lines, expected = [], []
    for i in range(40):
        stamp = moment if seconds else moment.replace(second=0)
        date = stamp.strftime(DATE_FORMATS[order].format(separator))
        time = stamp.strftime(("%I" if twelve_hour else "%H") + (":%M:%S" if seconds else ":%M"))
        time += stamp.strftime(" %p") if twelve_hour else ""
        author = ("Maya", "Anand", "Ravi Kumar")[i % 3]
        text = f"message {i}" + (f"\nsecond line {i}\n  third line" if i % 4 == 0 else "")
        head = f"[{date} {time}] " if ios else f"{date}, {time} - "
        lines.append(f"{head}{author}: {text}")
        expected.append((stamp, author, text))
        moment += timedelta(days=3, hours=5, minutes=7, seconds=11)
    return "\n".join(lines) + "\n", expected


def parsed(path):
    """(timestamp, author, text) of every message, and the report's warnings."""
    report = ParseReport(str(path))
    rows = [(row[0], row[1], row[2]) for row in read_messages(path, report)]
    return rows, report.warnings


@pytest.mark.parametrize("layout", LAYOUTS, ids=layout_id)
def test_every_header_layout_reads_a_generated_export_exactly(tmp_path, layout):
    text, expected = generated_export(*layout)
    path = tmp_path / "chat.txt"
    path.write_text(text, encoding="utf-8")
    assert parsed(path) == (expected, [])


JAN_14_FEB_3 = [datetime(2021, 1, 14, 9, 5), datetime(2021, 2, 3, 10)]


@pytest.mark.parametrize(
    "heads",
    [
        ("14-01-21, 09:05", "03-02-21, 10:00"),
        ("01-14-21, 09:05", "02-03-21, 10:00"),
        ("21-01-14, 09:05", "21-02-03, 10:00"),
        ("21-14-01, 09:05", "21-03-02, 10:00"),
    ],
    ids=["dmy", "mdy", "ymd", "ydm"],
)
def test_each_date_order_is_inferred_from_the_file(tmp_path, heads):
    path = tmp_path / "chat.txt"
    path.write_text("".join(f"{head} - Maya: hi\n" for head in heads))
    rows, warnings = parsed(path)
    assert [stamp for stamp, _, _ in rows] == JAN_14_FEB_3 and warnings == []


def test_the_order_is_settled_by_a_date_far_into_the_file(tmp_path):
    # 21-01-14 .. 21-01-20 also read as 21 January 2014 .. 2020: only February rules that out.
    days = [f"21-01-{14 + i // 100}, 10:{i % 60:02d} - Maya: {i}\n" for i in range(700)]
    path = tmp_path / "chat.txt"
    path.write_text("".join(days) + "21-02-01, 10:00 - Anand: February\n")
    rows, warnings = parsed(path)
    assert rows[0][0] == datetime(2021, 1, 14, 10, 0) and rows[-1][0] == datetime(2021, 2, 1, 10)
    assert warnings == []


def test_dates_going_backwards_rule_an_order_out_but_a_day_of_clock_correction_does_not(
    tmp_path,
):
    path = tmp_path / "chat.txt"
    # Month-first (which the 12-hour clock hints at) would go December, November, December.
    path.write_text(
        "12/01/21, 11:58 PM - Maya: a\n11/01/21, 11:59 PM - Anand: b\n12/01/21, 1:00 AM - Maya: c\n"
    )
    rows, warnings = parsed(path)
    assert [stamp for stamp, _, _ in rows] == [
        datetime(2021, 1, 12, 23, 58),
        datetime(2021, 1, 11, 23, 59),
        datetime(2021, 1, 12, 1, 0),
    ]
    assert warnings == []


def test_dates_before_whatsapp_rule_an_order_out(tmp_path):
    # Year-first, which dashes hint at, would read 2005-01-21 then 2025-01-21.
    path = tmp_path / "chat.txt"
    path.write_text("05-01-21, 10:00 - Maya: a\n25-01-21, 10:00 - Anand: b\n")
    rows, warnings = parsed(path)
    assert rows[0][0] == datetime(2021, 1, 5, 10) and warnings == []


def test_a_header_like_continuation_line_does_not_decide_the_order(tmp_path):
    path = tmp_path / "chat.txt"
    path.write_text(
        "1/2/21, 10:00 AM - Maya: plans\n25/12/20 was fun\n1/13/21, 10:00 AM - Anand: yes\n"
    )
    rows, warnings = parsed(path)
    assert rows[0] == (datetime(2021, 1, 2, 10), "Maya", "plans\n25/12/20 was fun")
    assert warnings == []


@pytest.mark.parametrize(
    "heads, first, chosen, other",
    [
        # Day-first or month-first: the clock decides.
        (("01/02/21, 10:00", "03/02/21, 11:00"), datetime(2021, 2, 1, 10), "day", "month"),
        (("01/02/21, 10:00 AM", "03/02/21, 11:00 AM"), datetime(2021, 1, 2, 10), "month", "day"),
        # Year-first or year-last: dashes are ISO's year-first, dots and slashes a year-last.
        (("21-01-14, 10:00", "21-01-15, 11:00"), datetime(2021, 1, 14, 10), "year", "day"),
        (("21.01.14, 10:00", "21.01.15, 11:00"), datetime(2014, 1, 21, 10), "day", "year"),
        (("21/01/14, 10:00", "21/01/15, 11:00"), datetime(2014, 1, 21, 10), "day", "year"),
    ],
    ids=["24h-day-first", "12h-month-first", "dashes-year-first", "dots-year-last", "slashes"],
)
def test_locale_hints_break_ties_and_the_ambiguity_is_reported(
    tmp_path, heads, first, chosen, other
):
    path = tmp_path / "chat.txt"
    path.write_text("".join(f"{head} - Maya: hi\n" for head in heads))
    rows, warnings = parsed(path)
    assert rows[0][0] == first
    (warning,) = warnings
    assert warning.startswith("chat.txt: the date order is ambiguous (the dates fit ")
    fits, read_as = warning.split("; read as ")
    assert read_as.startswith(chosen) and f" and {other}" in fits


def test_ambiguity_warning_names_every_order_that_fits_and_the_one_chosen(tmp_path):
    path = tmp_path / "chat.txt"
    path.write_text("21-01-14, 10:00 - Maya: one day only\n")
    assert parsed(path)[1] == [
        "chat.txt: the date order is ambiguous (the dates fit year-month-day and day-month-year);"
        " read as year-month-day"
    ]


GROUP_LINES = [
    "1/2/21, 10:00 - Maya: morning all",
    "1/2/21, 10:01 - Ravi: hey",
    "1/2/21, 10:02 - Anand: hi both",
]


@pytest.mark.parametrize(
    ("system_lines", "shown"),
    [
        # Android: created, then renamed twice; the latest subject names the group.
        (
            [
                '1/1/21, 09:00 - Maya created group "Climbers"',
                '1/1/21, 09:05 - Ravi changed the subject from "Climbers" to "Crag crew"',
                '1/1/21, 09:06 - Maya changed the group name from "Crag crew" to "Crag crew 🧗"',
            ],
            "Crag crew 🧗",
        ),
        (["1/1/21, 09:05 - Ravi changed the subject to “Boulder Sundays”"], "Boulder Sundays"),
        # No subject anywhere: named by its file, as a group.
        ([], "the group in lorem-2000.txt"),
    ],
)
def test_a_renamed_group_export_is_named_by_its_subject_or_as_the_group_in_the_file(
    tmp_path, system_lines, shown
):
    path = tmp_path / "lorem-2000.txt"
    path.write_text("\n".join(system_lines + GROUP_LINES) + "\n", encoding="utf-8")
    (conversation,) = inspect(path)["conversation_list"]
    assert conversation["title"] == shown and conversation["is_group"]
    (pair,) = build_pairs([path], me=["Anand"])
    assert pair.addressee == shown


def test_a_chat_found_to_be_a_group_late_is_named_as_the_group_in_the_file(tmp_path):
    # The first 256 KiB name two people; a third joins later.
    path = tmp_path / "lorem-2000.txt"
    two = [
        f"1/1/21, 10:{m % 60:02d} - {'Maya' if m % 2 else 'Anand'}: " + "x" * 200
        for m in range(1500)
    ]
    path.write_text("\n".join(two + ["2/1/21, 10:00 - Ravi: late hello"]) + "\n")
    (conversation,) = inspect(path)["conversation_list"]
    assert conversation["id"] == "lorem-2000"  # exclusions are stored by id: it stays
    assert conversation["title"] == "the group in lorem-2000.txt" and conversation["is_group"]


def test_a_one_to_one_chat_in_a_renamed_file_keeps_the_file_name_as_its_title(tmp_path):
    path = tmp_path / "lorem-2000.txt"
    path.write_text("1/2/21, 10:00 - Maya: hi\n1/2/21, 10:01 - Anand: hey\n")
    (conversation,) = inspect(path)["conversation_list"]
    assert conversation["title"] == "lorem-2000" and not conversation["is_group"]
