import pytest

from modeling.config import PRESETS, ModelConfig, TrainConfig, make_config
from modeling.errors import ConfigError


def test_overrides_reach_both_dataclasses():
    config = make_config("quick", epochs=1, max_minutes=2, seed=5, hidden_size=32, vocab_size=300)
    assert (config.epochs, config.max_minutes, config.seed) == (1, 2, 5)
    assert (config.model.hidden_size, config.model.vocab_size) == (32, 300)
    assert config.preset == "quick"


def test_none_overrides_keep_the_preset():
    assert make_config("standard", epochs=None).epochs == PRESETS["standard"]["epochs"]


def test_quick_preset_is_time_boxed_under_three_minutes():
    assert make_config("quick").max_minutes <= 3


@pytest.mark.parametrize("bad", [{"nonsense": 1}, {"attention": "cosine"}, {"dropout": 1.5}])
def test_bad_values_raise_config_error(bad):
    with pytest.raises(ConfigError):
        make_config("quick", **bad)


def test_unknown_preset():
    with pytest.raises(ValueError):
        make_config("turbo")


def test_round_trips_through_a_dict():
    config = make_config("thorough", seed=3)
    assert TrainConfig.from_dict(config.to_dict()) == config
    assert isinstance(TrainConfig.from_dict(config.to_dict()).model, ModelConfig)
