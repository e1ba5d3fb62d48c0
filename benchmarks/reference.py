"""The reference model shape the speed targets are stated for (issue: modeling benchmarks)."""

REFERENCE_MODEL = dict(
    vocab_size=8000,
    embedding_dim=128,
    hidden_size=256,
    num_layers=1,
    attention="bahdanau",
    max_source_len=20,
)
