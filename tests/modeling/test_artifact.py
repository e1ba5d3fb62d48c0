import json
import shutil

import numpy as np
import pytest

from modeling.artifact import MANIFEST, load, read_json, read_pairs
from modeling.errors import ArtifactError

CONTEXT = [("Bob", "hey bob here, number 2 ok? 😀")]


def test_save_then_load_gives_identical_outputs(tiny_artifact, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(tiny_artifact, copy)
    a, b = load(tiny_artifact), load(copy)
    for x, y in zip(a.model.get_weights(), b.model.get_weights(), strict=True):
        np.testing.assert_array_equal(x, y)
    for strategy in ("greedy", "beam"):
        assert a.reply(CONTEXT, "Bob", strategy) == b.reply(CONTEXT, "Bob", strategy)
    assert a.config == b.config and a.addressees == b.addressees


def test_artifact_holds_everything_needed(tiny_artifact):
    names = {p.name for p in tiny_artifact.iterdir()}
    assert {"manifest.json", "config.json", "weights.npz", "tokenizer.model", "history.json",
            "metrics.json", "data.json", "train.jsonl", "heldout.jsonl"} <= names
    data = read_json(tiny_artifact, "data.json")
    assert len(data["fingerprint"]) == 64 and data["persona_names"] == ["Sam"]
    assert read_pairs(tiny_artifact, "train") and read_pairs(tiny_artifact, "heldout")
    assert json.loads((tiny_artifact / MANIFEST).read_text())["format_version"] == 1


@pytest.mark.parametrize("damage", ["truncate-weights", "delete-tokenizer", "bad-manifest",
                                    "edit-config", "future-version"])
def test_corrupt_artifact_raises_artifact_error(tiny_artifact, tmp_path, damage):
    path = tmp_path / "broken"
    shutil.copytree(tiny_artifact, path)
    if damage == "truncate-weights":
        weights = path / "weights.npz"
        weights.write_bytes(weights.read_bytes()[:100])
    elif damage == "delete-tokenizer":
        (path / "tokenizer.model").unlink()
    elif damage == "bad-manifest":
        (path / MANIFEST).write_text("{not json")
    elif damage == "edit-config":
        (path / "config.json").write_text("{}")
    else:
        manifest = json.loads((path / MANIFEST).read_text())
        manifest["format_version"] = 99
        (path / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(ArtifactError):
        load(path)


def test_missing_artifact_raises_artifact_error(tmp_path):
    with pytest.raises(ArtifactError):
        load(tmp_path / "nothing-here")
