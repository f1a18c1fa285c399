"""The example phrases' vectors are kept on disk across starts (ExampleIndex)."""

import numpy as np

from assistant.agent.embeddings import DIM, KEPT_PHRASE_SETS, ExampleIndex, check_example_vectors


class CountingEmbedder:
    """Deterministic vectors (a hash of the text); counts how many it had to make."""

    def __init__(self, folder, fingerprint="minilm:v1"):
        self.cache_dir = folder
        self.fingerprint = fingerprint
        self.embedded = 0

    def embed(self, texts):
        self.embedded += len(texts)
        rows = [np.random.default_rng(abs(hash(t)) % 2**32).standard_normal(DIM)
                for t in texts]
        return np.asarray(rows, dtype=np.float32)


PHRASES = ["set a timer for {duration}", "what time is it", "take a note {text}"]


def test_a_second_start_reads_the_vectors_instead_of_embedding(tmp_path):
    first = CountingEmbedder(tmp_path)
    want = ExampleIndex(first).matrix(PHRASES)
    assert first.embedded == 3
    again = CountingEmbedder(tmp_path)  # a new process: nothing in memory
    np.testing.assert_array_equal(ExampleIndex(again).matrix(PHRASES), want)
    assert again.embedded == 0


def test_other_phrases_or_another_model_are_embedded_afresh(tmp_path):
    ExampleIndex(CountingEmbedder(tmp_path)).matrix(PHRASES)
    more = CountingEmbedder(tmp_path)
    assert ExampleIndex(more).matrix(PHRASES + ["open {app}"]).shape == (4, DIM)
    assert more.embedded == 4
    rewritten = CountingEmbedder(tmp_path, fingerprint="minilm:v2")
    ExampleIndex(rewritten).matrix(PHRASES)
    assert rewritten.embedded == 3


def test_a_damaged_file_is_embedded_again_and_replaced(tmp_path):
    ExampleIndex(CountingEmbedder(tmp_path)).matrix(PHRASES)
    (kept,) = tmp_path.glob("examples-*.npy")
    kept.write_bytes(b"not an npy file")
    fresh = CountingEmbedder(tmp_path)
    assert ExampleIndex(fresh).matrix(PHRASES).shape == (3, DIM)
    assert fresh.embedded == 3
    later = CountingEmbedder(tmp_path)
    ExampleIndex(later).matrix(PHRASES)
    assert later.embedded == 0  # the replacement is good


def test_only_the_last_few_phrase_sets_are_kept(tmp_path):
    for n in range(1, KEPT_PHRASE_SETS + 3):
        ExampleIndex(CountingEmbedder(tmp_path)).matrix([f"phrase {i}" for i in range(n)])
    assert len(list(tmp_path.glob("examples-*.npy"))) == KEPT_PHRASE_SETS


def test_an_unwritable_cache_still_gives_the_vectors(tmp_path):
    blocked = tmp_path / "models"
    blocked.write_text("a file where the folder should be")  # root ignores chmod
    embedder = CountingEmbedder(blocked)
    assert ExampleIndex(embedder).matrix(PHRASES).shape == (3, DIM)
    assert embedder.embedded == 3


def test_damaged_vectors_of_the_right_shape_are_not_used(tmp_path):
    """Flipped bytes inside the vectors still load as finite numbers of the right
    shape: only the recorded sha256 tells them from the real ones."""
    want = ExampleIndex(CountingEmbedder(tmp_path)).matrix(PHRASES)
    (kept,) = tmp_path.glob("examples-*.npy")
    data = bytearray(kept.read_bytes())
    data[-40:-8] = bytes(32)  # zeros: still finite float32
    kept.write_bytes(bytes(data))
    assert [(p, why) for p, why in check_example_vectors(tmp_path)] == [
        (kept, "its sha256 differs from the one recorded when it was written")]
    fresh = CountingEmbedder(tmp_path)
    np.testing.assert_array_equal(ExampleIndex(fresh).matrix(PHRASES), want)
    assert fresh.embedded == 3  # embedded again, not read as garbage
    assert check_example_vectors(tmp_path) == [(kept, "")]  # and replaced


def test_vectors_without_a_recorded_digest_are_embedded_again(tmp_path):
    ExampleIndex(CountingEmbedder(tmp_path)).matrix(PHRASES)
    (kept,) = tmp_path.glob("examples-*.npy")
    kept.with_suffix(".sha256").unlink()
    fresh = CountingEmbedder(tmp_path)
    ExampleIndex(fresh).matrix(PHRASES)
    assert fresh.embedded == 3


def test_a_data_dir_without_vectors_takes_the_ones_made_at_install(tmp_path):
    shared, home = tmp_path / "shared", tmp_path / "home"
    shared.mkdir()
    home.mkdir()
    want = ExampleIndex(CountingEmbedder(shared), shared_dir=tmp_path / "none").matrix(PHRASES)
    fresh = CountingEmbedder(home)
    index = ExampleIndex(fresh, shared_dir=shared)
    np.testing.assert_array_equal(index.matrix(PHRASES), want)
    assert fresh.embedded == 0
    # the data dir keeps its own copy (verified and tidied like one it made)
    assert check_example_vectors(home) == [(home / index.file_name(PHRASES), "")]


def test_install_vectors_for_other_phrases_or_damaged_ones_are_not_used(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    ExampleIndex(CountingEmbedder(shared), shared_dir=tmp_path / "none").matrix(PHRASES)
    other = CountingEmbedder(tmp_path / "a")
    (tmp_path / "a").mkdir()
    ExampleIndex(other, shared_dir=shared).matrix(PHRASES + ["open {app}"])
    assert other.embedded == 4  # a worker added a phrase: not the built-in set
    (kept,) = shared.glob("examples-*.npy")
    data = bytearray(kept.read_bytes())
    data[-40:-8] = bytes(32)
    kept.write_bytes(bytes(data))
    damaged = CountingEmbedder(tmp_path / "b")
    (tmp_path / "b").mkdir()
    ExampleIndex(damaged, shared_dir=shared).matrix(PHRASES)
    assert damaged.embedded == 3
