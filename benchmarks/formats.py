"""The generated chat of ingest.py written as each of the other chat formats' exporters write it.

Each writer takes a path and a message count and returns the file to read (some formats name
the chat after its folder) and the author who is "me" in it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC
from pathlib import Path
from xml.sax.saxutils import quoteattr

MEDIA_NAME = "IMG-20190101-WA0001.jpg"


def _signal_text(text: str, two_lines: bool) -> str:
    if text == "<Media omitted>":
        return f"![{MEDIA_NAME}](./media/{MEDIA_NAME})"
    return text + ("\nand a second line" if two_lines else "")


def signal_markdown(folder: Path, count: int, chat) -> tuple[Path, str]:
    path = folder / "Maya" / "chat.md"
    path.parent.mkdir(parents=True)
    names = ("Me", "Maya")
    with open(path, "w", encoding="utf-8") as out:
        for moment, speaker, text, two_lines in chat(count):
            stamp = moment.strftime("%Y-%m-%d %H:%M:%S")
            out.write(f"[{stamp}] {names[speaker]}: {_signal_text(text, two_lines)}  \n\n")
    return path, "Me"


def signal_jsonl(folder: Path, count: int, chat) -> tuple[Path, str]:
    path = folder / "Maya" / "data.json"
    path.parent.mkdir(parents=True)
    names = ("Me", "Maya")
    with open(path, "w", encoding="utf-8") as out:
        for moment, speaker, text, two_lines in chat(count):
            media = text == "<Media omitted>"
            item = {
                "date": moment.isoformat(),
                "sender": names[speaker],
                "body": ("" if media else _signal_text(text, two_lines)) + "  ",
                "quote": "",
                "sticker": None,
                "reactions": [],
                "attachments": [{"name": MEDIA_NAME, "path": f"media/{MEDIA_NAME}"}]
                if media
                else [],
                "deleted": False,
                "call": False,
                "missed": False,
            }
            out.write(json.dumps(item, ensure_ascii=False) + "\n")
    return path, "Me"


def _discord_author(speaker: int) -> dict:
    name = ("Anand", "Maya")[speaker]
    return {
        "id": str(712345678901234567 + speaker),
        "name": name.lower(),
        "discriminator": "0000",
        "nickname": name,
        "color": None,
        "isBot": False,
        "avatarUrl": "https://cdn.discordapp.com/embed/avatars/0.png",
    }


def discord_json(folder: Path, count: int, chat) -> tuple[Path, str]:
    """Indented like DiscordChatExporter's output, with every field it writes per message."""
    path = folder / "Server - general [812345678901234567].json"
    authors = [_discord_author(0), _discord_author(1)]
    with open(path, "w", encoding="utf-8") as out:
        out.write(
            '{\n  "guild": {"id": "912345678901234567", "name": "Server", "iconUrl": ""},\n'
            '  "channel": {"id": "812345678901234567", "type": "GuildTextChat", "categoryId":'
            ' "1", "category": "Text", "name": "general", "topic": null},\n'
            '  "dateRange": {"after": null, "before": null},\n  "messages": [\n'
        )
        for number, (moment, speaker, text, two_lines) in enumerate(chat(count)):
            media = text == "<Media omitted>"
            item = {
                "id": str(1000000000000000000 + number),
                "type": "Default",
                "timestamp": moment.isoformat() + ".000+00:00",
                "timestampEdited": None,
                "callEndedTimestamp": None,
                "isPinned": False,
                "content": "" if media else text + ("\nand a second line" if two_lines else ""),
                "author": authors[speaker],
                "attachments": [{"id": "1", "url": MEDIA_NAME, "fileName": MEDIA_NAME}]
                if media
                else [],
                "embeds": [],
                "stickers": [],
                "reactions": [],
                "mentions": [],
            }
            text = json.dumps(item, indent=2, ensure_ascii=False).replace("\n", "\n    ")
            out.write(("    " if number == 0 else ",\n    ") + text)
        out.write(f'\n  ],\n  "messageCount": {count}\n}}\n')
    return path, "Anand"


def discord_csv(folder: Path, count: int, chat) -> tuple[Path, str]:
    path = folder / "Server - general [812345678901234567].csv"
    names = ("anand#0097", "maya#4821")
    with open(path, "w", encoding="utf-8") as out:
        out.write("AuthorID,Author,Date,Content,Attachments,Reactions\n")
        for moment, speaker, text, two_lines in chat(count):
            stamp = f"{moment.month}/{moment.day}/{moment.year} {moment:%I:%M %p}".replace(
                " 0", " "
            )
            media = text == "<Media omitted>"
            content = "" if media else text + ("\nand a second line" if two_lines else "")
            attachment = MEDIA_NAME if media else ""
            content = content.replace('"', '""')
            out.write(f'"{712345678901234567 + speaker}","{names[speaker]}","{stamp}",')
            out.write(f'"{content}","{attachment}",""\n')
    return path, "anand"


def sms(folder: Path, count: int, chat) -> tuple[Path, str]:
    path = folder / "sms-20200120183000.xml"
    with open(path, "w", encoding="utf-8") as out:
        out.write("<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n")
        out.write(f'<smses count="{count}" type="full">\n')
        for moment, speaker, text, two_lines in chat(count):
            body = quoteattr(text + ("\nand a second line" if two_lines else ""))
            millis = int(moment.timestamp() * 1000)
            out.write(
                f'  <sms protocol="0" address="+15550100123" date="{millis}" type="{2 - speaker}"'
                f' subject="null" body={body} toa="null" sc_toa="null" service_center="null"'
                f' read="1" status="-1" locked="0" date_sent="0" sub_id="1"'
                f' readable_date="{moment:%b %d, %Y %I:%M:%S %p}" contact_name="Maya" />\n'
            )
        out.write("</smses>\n")
    return path, "Me"


def line(folder: Path, count: int, chat) -> tuple[Path, str]:
    path = folder / "[LINE] Chat with Maya.txt"
    names = ("Anand", "Maya")
    day = None
    with open(path, "w", encoding="utf-8") as out:
        out.write("[LINE] Chat history with Maya\nSaved on: 2020/01/20 18:30\n")
        for moment, speaker, text, two_lines in chat(count):
            if moment.date() != day:
                day = moment.date()
                out.write(f"\n{moment:%Y/%m/%d(%a)}\n")
            if text == "<Media omitted>":
                text = "[Photo]"
            elif two_lines:
                text = f'"{text}\nand a second line"'
            out.write(f"{moment:%H:%M}\t{names[speaker]}\t{text}\n")
    return path, "Anand"


def _chat_text(text: str, two_lines: bool) -> str:
    return text + ("\nand a second line" if two_lines else "")


def x_archive(folder: Path, count: int, chat) -> tuple[Path, str]:
    """data/account.js and data/direct-messages.js, newest message first, X's " : " spacing."""
    data = folder / "data"
    data.mkdir(parents=True)
    ids = ("1001", "2002")
    account = {"accountId": ids[0], "username": "anand_k", "accountDisplayName": "Anand"}
    _x_js(data / "account.js", "account", [{"account": account}])
    messages = []
    for number, (moment, speaker, text, two_lines) in enumerate(chat(count)):
        media = text == "<Media omitted>"
        message = {
            "recipientId": ids[1 - speaker],
            "reactions": [],
            "urls": [],
            "text": "https://t.co/AbCdEf1234" if media else _chat_text(text, two_lines),
            "mediaUrls": ["https://ton.twitter.com/dm/1/2/AbC.jpg"] if media else [],
            "senderId": ids[speaker],
            "id": str(1_300_000_000_000_000_000 + number),
            "createdAt": moment.isoformat(timespec="milliseconds") + "Z",
        }
        messages.append({"messageCreate": message})
    messages.reverse()
    conversation = {"conversationId": "-".join(ids), "messages": messages}
    _x_js(data / "direct-messages.js", "direct_messages", [{"dmConversation": conversation}])
    return folder, "Anand"


def _x_js(path: Path, name: str, value) -> None:
    text = json.dumps(value, indent=2, separators=(",", " : "), ensure_ascii=False)
    path.write_text(f"window.YTD.{name}.part0 = {text}", encoding="utf-8")


def imessage(folder: Path, count: int, chat) -> tuple[Path, str]:
    path = folder / "Maya.txt"
    with open(path, "w", encoding="utf-8") as out:
        for moment, speaker, text, two_lines in chat(count):
            hour = moment.hour % 12 or 12
            stamp = moment.strftime(f"%b %d, %Y {hour:2d}:%M:%S %p")
            body = MEDIA_NAME if text == "<Media omitted>" else _chat_text(text, two_lines)
            out.write(f"{stamp}\n{('Me', 'Maya')[speaker]}\n{body}\n\n")
    return path, "Me"


SLACK_PEOPLE = (("U01ANAND", "anand", "Anand Rao"), ("U02MAYA", "maya", "Maya Gómez"))


def slack(folder: Path, count: int, chat) -> tuple[Path, str]:
    """users.json, channels.json and general/<day>.json with the fields Slack writes."""
    users = [
        {
            "id": uid,
            "team_id": "T0",
            "name": name,
            "real_name": real,
            "profile": {"real_name": real},
        }
        for uid, name, real in SLACK_PEOPLE
    ]
    (folder / "users.json").write_text(json.dumps(users, indent=4), encoding="utf-8")
    channel = {"id": "C01", "name": "general", "created": 1546300800, "members": ["U01ANAND"]}
    (folder / "channels.json").write_text(json.dumps([channel], indent=4), encoding="utf-8")
    (folder / "general").mkdir()
    days: dict[str, list] = {}
    for number, (moment, speaker, text, two_lines) in enumerate(chat(count)):
        day = days.setdefault(moment.date().isoformat(), [])
        day.append(_slack_message(number, moment, SLACK_PEOPLE[speaker], text, two_lines))
    for day, messages in days.items():
        text = json.dumps(messages, indent=4, ensure_ascii=False)
        (folder / "general" / f"{day}.json").write_text(text, encoding="utf-8")
    return folder, "Anand Rao"


def _slack_message(number: int, moment, person, text: str, two_lines: bool) -> dict:
    uid, name, real = person
    message = {
        "client_msg_id": f"9f2c{number:08x}-0000-4000-8000-000000000000",
        "type": "message",
        "text": "" if text == "<Media omitted>" else _chat_text(text, two_lines),
        "user": uid,
        "ts": f"{moment.replace(tzinfo=UTC).timestamp():.0f}.{number % 1_000_000:06d}",
        "team": "T0",
        "user_team": "T0",
        "source_team": "T0",
        "user_profile": {
            "avatar_hash": "g0a1b2c3d4e5",
            "image_72": f"https://avatars.example.com/{uid}_72.png",
            "first_name": real.split()[0],
            "real_name": real,
            "display_name": name,
            "team": "T0",
            "name": name,
            "is_restricted": False,
            "is_ultra_restricted": False,
        },
    }
    if text == "<Media omitted>":
        message["files"] = [{"id": f"F{number}", "name": MEDIA_NAME, "mimetype": "image/jpeg"}]
    else:
        section = {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}
        message["blocks"] = [{"type": "rich_text", "block_id": f"b{number}", "elements": [section]}]
    return message


def google_chat(folder: Path, count: int, chat) -> tuple[Path, str]:
    space = folder / "Google Chat" / "Groups" / "DM 4bXq1AAAAE"
    space.mkdir(parents=True)
    people = (("Anand Rao", "anand@example.com"), ("Maya Gómez", "maya@example.com"))
    members = [{"name": n, "email": e, "user_type": "Human"} for n, e in people]
    (space / "group_info.json").write_text(json.dumps({"members": members}, indent=2))
    messages = []
    for number, (moment, speaker, text, two_lines) in enumerate(chat(count)):
        message = {
            "creator": members[speaker],
            "created_date": moment.strftime("%A, %B %-d, %Y at %-I:%M:%S %p UTC"),
            "topic_id": f"t{number:09d}",
            "message_id": f"4bXq1AAAAE/t{number:09d}/t{number:09d}",
        }
        if text == "<Media omitted>":
            message["attached_files"] = [{"original_name": MEDIA_NAME, "export_name": MEDIA_NAME}]
        else:
            message["text"] = _chat_text(text, two_lines)
        messages.append(message)
    text = json.dumps({"messages": messages}, indent=2, ensure_ascii=False)
    (space / "messages.json").write_text(text, encoding="utf-8")
    return folder, "Anand Rao"


WRITERS: dict[str, Callable] = {
    "signal_markdown": signal_markdown,
    "signal_jsonl": signal_jsonl,
    "discord_json": discord_json,
    "discord_csv": discord_csv,
    "sms": sms,
    "line": line,
    "x_archive": x_archive,
    "imessage": imessage,
    "slack": slack,
    "google_chat": google_chat,
}
