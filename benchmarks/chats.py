"""Generated chats of two shapes the quality benchmark covers, written for this project.

- `long_answers_csv`: a public figure answering questions (pair CSV, replies of 30-100 words).
  Each answer talks about the question's topic with that topic's own words, so a model that
  understands the question can tell its answer from the others.
- `short_turns_whatsapp`: an Android WhatsApp export of short, informal turns between "Sam"
  (the persona) and three friends, with replies that depend on what was asked.

Deterministic for a seed, so benchmark figures are comparable from run to run.
"""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

TOPICS = {
    "public schools": ["teachers", "classrooms", "students", "reading scores"],
    "rural hospitals": ["nurses", "clinics", "emergency rooms", "patients"],
    "the harbour bridge": ["commuters", "ferries", "traffic", "the toll"],
    "clean energy": ["solar farms", "wind turbines", "the grid", "power bills"],
    "small businesses": ["shop owners", "loans", "main streets", "payroll"],
    "housing": ["rents", "first homes", "builders", "zoning"],
    "public transport": ["buses", "train lines", "timetables", "fares"],
    "farming": ["farmers", "water rights", "harvests", "fertiliser prices"],
    "policing": ["officers", "neighbourhood patrols", "response times", "trust"],
    "veterans": ["service members", "pensions", "veterans' clinics", "families"],
    "the arts": ["theatres", "musicians", "galleries", "festivals"],
    "broadband": ["fibre", "rural towns", "download speeds", "providers"],
    "tourism": ["visitors", "hotels", "the coastline", "tour operators"],
    "child care": ["parents", "day care centres", "waiting lists", "carers"],
    "fisheries": ["fishing fleets", "quotas", "the reef", "boat crews"],
    "the budget": ["deficits", "spending", "taxes", "ratings agencies"],
    "mental health": ["counsellors", "young people", "waiting times", "helplines"],
    "sport": ["local clubs", "stadiums", "coaches", "junior leagues"],
    "immigration": ["new arrivals", "visas", "language classes", "employers"],
    "universities": ["tuition", "researchers", "campuses", "graduates"],
    "water": ["dams", "droughts", "pipes", "water restrictions"],
    "roads": ["potholes", "highways", "road safety", "freight trucks"],
    "aged care": ["nursing homes", "pensioners", "home visits", "care workers"],
    "libraries": ["librarians", "opening hours", "story time", "e-books"],
    "bushfires": ["firefighters", "evacuation plans", "fuel loads", "volunteers"],
}
QUESTIONS = [
    "What is your position on {topic}?",
    "Many voters are worried about {topic}. What would you do?",
    "Why should people trust you on {topic}?",
    "Your opponents say you have neglected {topic}. How do you respond?",
    "What is the first thing you would change about {topic}?",
    "How would your plan for {topic} help ordinary families?",
]
OPENERS = [
    "Look, I have said this from day one.",
    "Let me be very clear about this.",
    "That is a fair question, and I want to answer it properly.",
    "I have spent years listening to people about this.",
    "Thank you for asking, because this matters to me.",
    "I grew up in {town}, so I know this one first hand.",
    "Honestly, this keeps me up at night.",
    "I get asked this a lot, and the answer has not changed.",
    "Last week I was in {town} talking about exactly this.",
    "Here is the short version, and then the long one.",
]
BODY = [
    "When it comes to {topic}, {a} deserve a government that turns up and listens.",
    "We will put real money into {b}, not another report that sits on a shelf.",
    "I have met {a} in every corner of this state, and they tell me the same thing about {c}.",
    "My plan for {topic} starts with {b} and ends with {d} that people can count on.",
    "The other side cut funding for {c}, and {a} paid the price for it.",
    "Fixing {topic} means fixing {d} first, and that is exactly where we will start.",
    "I will sit down with {a} in the first hundred days and agree on a plan for {b}.",
    "Nobody should have to fight this hard for {c}, and under us they will not have to.",
    "We will publish every number on {topic} so that {a} can hold us to account.",
    "In {town} alone, {a} told me that {c} had got worse every year since {year}.",
    "{person}, a mother of two from {town}, wrote to me about {b} and I still have her letter.",
    "Our costings put {money} into {b} over four years, and every dollar is accounted for.",
    "Since {year}, {d} has slipped by {number} per cent, and that is simply not good enough.",
    "I am not going to pretend {topic} can be fixed overnight, but {b} can improve by {year}.",
    "Ask anyone who deals with {c} and they will tell you the system is stretched thin.",
    "We have already trialled a new approach to {d} in {town}, and the early results are good.",
    "The answer is not another slogan about {topic}; it is {b}, {c} and a lot of hard work.",
    "When I met {person} from {town}, the first thing she raised was {c}.",
    "We will double the support for {a} and cut the red tape around {d}.",
    "Every region should get a fair share of {b}, not just the city seats.",
    "I want {a} to have a real say in how {c} is run.",
    "If we get {d} right, the rest of {topic} gets easier for everyone.",
]
CLOSERS = [
    "That is my commitment, and I intend to keep it.",
    "Judge me on what we deliver.",
    "That is the difference between us and them.",
    "I will not rest until it is done.",
    "People in {town} deserve nothing less.",
    "And I will be back in {town} to report on it.",
    "Hold me to that.",
    "That is a promise, not a press release.",
]
PLACES = ["Ashford", "Brookvale", "Carrow", "Dunmore", "Elmstead", "Fairlie", "Glenrock",
          "Hartley", "Inverell", "Kingsbury", "Larkhill", "Millbrook", "Northam", "Oakdale",
          "Penrith", "Redcliffe", "Stanthorpe", "Tamworth", "Wallace Bay", "Yarram"]
PEOPLE = ["Maria", "Jenny", "Aisha", "Helen", "Priya", "Grace", "Leanne", "Sofia", "Ruth", "Mei"]
YEARS = [str(y) for y in range(2008, 2024)]
NUMBERS = [str(n) for n in range(4, 40)]
MONEY = ["$40 million", "$120 million", "$2.1 billion", "$65 million", "$900 million",
         "$310 million"]

FRIENDS = ("Alex", "Jo", "Priya")
# (message, replies by the persona): short exchanges whose reply depends on the message, often
# repeating what it names, as people do ("the gym? yes, 7ish").
EXCHANGES = [
    ("u coming to {place} {day}?", ["yeah def, {place} at {time}?", "cant {day} sorry, {excuse}",
                                    "{place} {day}?? yesss"]),
    ("did u finish the {thing}?", ["almost!! sending the {thing} by {time}",
                                   "nope still stuck on the {thing} 😩",
                                   "the {thing}? ugh not yet"]),
    ("whats for dinner", ["{food} probably", "thinking {food} tbh", "{food}!! or {food2}?"]),
    ("hows work {day}", ["busy but ok, {excuse}", "meetings all {day} ugh",
                         "fine, {thing} is due"]),
    ("can u grab {food} on the way", ["sure np, {food} it is", "yep, {food} and {food2}?",
                                      "on it, {food} from {place}?"]),
    ("where r u", ["5 min from {place}", "at {place} already", "leaving {place} now"]),
    ("happy birthday {name}!!! 🎉", ["aww thank youuu {name} ❤️", "thanks {name}!! cake {day}?"]),
    ("did u see the {team} game", ["yes what a finish, {team} 🔥", "missed it, did {team} win?"]),
    ("movie {day}?", ["yes pls, {time}?", "ooh {day} works, which one", "cant {day}, {excuse}"]),
    ("im so tired today", ["same, coffee at {place}?", "go to bed by {time} tonight!"]),
    ("call me when ur free", ["will do around {time}", "calling after {thing}"]),
    ("lol look at this {animal}", ["hahaha that {animal} 😂", "omg the {animal} stop"]),
    ("running late, {excuse}", ["no worries", "all good, ill grab a table at {place}"]),
    ("how was {place}?", ["so good, we should go {day}", "kinda packed at {time} honestly"]),
    ("any plans {day}", ["hiking with {name} if its sunny", "{thing} all {day} 😭, u?"]),
    ("good morning ☀️", ["morning!! {food} for breakfast", "gm, slept till {time} lol"]),
]
# How Sam dresses a reply up: the same answer rarely comes out word for word twice.
OPENERS_SHORT = ["", "", "haha ", "ok ", "omg ", "hmm ", "yes ", "lol ", "wait ", "ahh "]
CLOSERS_SHORT = ["", "", " 😂", " ❤️", " !!", " 👍", " x", " lol", " tbh", " 🙈", " haha"]
SLOTS = {
    "place": ["the gym", "the climbing gym", "the market", "Nina's party", "the beach",
              "the library", "Luca's", "the park", "the pub", "the station"],
    "time": ["7ish", "after 8", "6:30", "noon", "9", "half 5", "10ish", "around 4"],
    "day": ["tonight", "tomorrow", "on friday", "this weekend", "on sunday", "later"],
    "thing": ["report", "slides", "essay", "tax form", "budget", "lab notes", "cover letter"],
    "food": ["pizza", "tacos", "ramen", "curry", "pasta", "sushi", "dumplings", "salad"],
    "food2": ["chips", "ice cream", "garlic bread", "mochi", "fries"],
    "excuse": ["work is mad", "my mum is visiting", "im sick", "the car broke", "im broke"],
    "name": ["Nina", "Luca", "Maya", "Tom", "Ravi"],
    "team": ["Arsenal", "the Lakers", "City", "the Bulls"],
    "animal": ["cat", "dog", "goose", "raccoon"],
}


def long_answers_csv(path: Path, pairs: int = 1000, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    names = list(TOPICS)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["question", "answer"])
        for _ in range(pairs):
            topic = names[rng.integers(len(names))]
            writer.writerow([_pick(rng, QUESTIONS).format(topic=topic), _answer(rng, topic)])
    return path


def _answer(rng: np.random.Generator, topic: str) -> str:
    nouns = TOPICS[topic]
    while True:
        sentences = [_pick(rng, OPENERS)]
        for index in rng.choice(len(BODY), int(rng.integers(2, 6)), replace=False):
            a, b, c, d = (nouns[i] for i in rng.permutation(4))
            sentences.append(BODY[index].format(topic=topic, a=a, b=b, c=c, d=d, **_facts(rng)))
        sentences.append(_pick(rng, CLOSERS))
        answer = " ".join(sentences).format(**_facts(rng))
        answer = answer[0].upper() + answer[1:]
        if 30 <= len(answer.split()) <= 100:
            return answer


def _facts(rng: np.random.Generator) -> dict[str, str]:
    return {"town": _pick(rng, PLACES), "person": _pick(rng, PEOPLE), "year": _pick(rng, YEARS),
            "number": _pick(rng, NUMBERS), "money": _pick(rng, MONEY)}


def short_turns_whatsapp(folder: Path, messages: int = 6000, seed: int = 0) -> list[Path]:
    """One export per friend, `messages` in all."""
    rng = np.random.default_rng(seed)
    return [
        _whatsapp_chat(Path(folder) / f"WhatsApp Chat with {friend}.txt", friend,
                       messages // len(FRIENDS), rng)
        for friend in FRIENDS
    ]


def _whatsapp_chat(path: Path, friend: str, messages: int, rng: np.random.Generator) -> Path:
    when = datetime(2022, 3, 1, 8, 0)
    lines = []
    while len(lines) < messages:
        for _ in range(int(rng.integers(2, 6))):
            message, replies = EXCHANGES[rng.integers(len(EXCHANGES))]
            slots = {k: _pick(rng, v) for k, v in SLOTS.items()}
            when += timedelta(minutes=int(rng.integers(1, 90)))
            lines.append(f"{_stamp(when)} - {friend}: {message.format(**slots)}")
            when += timedelta(minutes=int(rng.integers(1, 10)))
            reply = _pick(rng, replies).format(**slots)
            reply = f"{_pick(rng, OPENERS_SHORT)}{reply}{_pick(rng, CLOSERS_SHORT)}"
            lines.append(f"{_stamp(when)} - Sam: {reply}")
        when += timedelta(hours=int(rng.integers(6, 30)))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _stamp(when: datetime) -> str:
    return when.strftime("%d/%m/%Y, %H:%M")


def _pick(rng: np.random.Generator, options):
    return options[rng.integers(len(options))]
