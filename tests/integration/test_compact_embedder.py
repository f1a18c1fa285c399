"""The router's MiniLM loaded with its weights kept int8 (models/onnx_compact.py): the
same sentence vectors and routing decisions as the model as shipped, written once into
the models dir and reused, and the shipped model when the rewrite cannot be had."""

from __future__ import annotations

import logging
import sys

import numpy as np
import pytest
from test_router_embeddings import MISHEARD, OPEN_QUESTIONS, builtin_tools

import assistant.agent.embeddings as embeddings
from assistant.agent.embeddings import COMPACT_FILE, MODEL_ID, TextEmbedder
from assistant.agent.router import Router
from assistant.storage import Storage
from models.onnx import create_session
from models.onnx_compact import sidecar_path
from models.store import ModelStore

pytestmark = pytest.mark.slow


def shipped_session(source, sha256, dest, options, **kwargs):
    """create_compact_session's stand-in: the model as shipped, no rewrite."""
    return create_session(source, options, **kwargs)


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="module")
def compact(models_dir):
    emb = TextEmbedder(ModelStore(models_dir))
    emb.load()
    return emb


@pytest.fixture(scope="module")
def shipped(models_dir):
    emb = TextEmbedder(ModelStore(models_dir))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(embeddings, "create_compact_session", shipped_session)
        emb.load()
    return emb


@pytest.fixture(scope="module")
def phrases(tmp_path_factory) -> list[str]:
    """Every example phrase of the built-in tools plus the router tests' utterances."""
    storage = Storage(tmp_path_factory.mktemp("phrases") / "heron.db")
    out = [ex for t in builtin_tools(storage) for ex in t.manifest.examples]
    out += [text for text, *_ in MISHEARD] + OPEN_QUESTIONS
    return sorted(set(out))


def test_compact_model_gives_the_shipped_models_vectors(compact, shipped, phrases, models_dir):
    assert (models_dir / MODEL_ID / COMPACT_FILE).is_file()  # the compact model is in use
    a, b = shipped.embed(phrases), compact.embed(phrases)
    cos = (a * b).sum(axis=1)
    assert len(phrases) > 60
    assert cos.min() > 0.999, phrases[int(cos.argmin())]
    # what the router compares: phrase-to-phrase similarities barely move
    assert np.abs(a @ a.T - b @ b.T).max() < 0.02


def test_router_decides_the_same_with_either_model(compact, shipped, tmp_path):
    manifests = [t.manifest for t in builtin_tools(Storage(tmp_path / "heron.db"))]
    routers = [Router(manifests, emb) for emb in (shipped, compact)]
    for text in [t for t, *_ in MISHEARD] + OPEN_QUESTIONS:
        got = [r.route(text) for r in routers]
        decisions = [None if m is None else (m.tool, m.args, m.ambiguous) for m in got]
        assert decisions[0] == decisions[1], text


def test_second_load_reuses_the_compact_file(compact, models_dir):
    path = models_dir / MODEL_ID / COMPACT_FILE
    seen = (path.stat().st_ino, path.stat().st_mtime_ns)
    again = TextEmbedder(ModelStore(models_dir))
    text = "set a timer for ten minutes"
    assert np.array_equal(again.embed([text]), compact.embed([text]))
    assert (path.stat().st_ino, path.stat().st_mtime_ns) == seen
    assert sidecar_path(path).is_file()


def test_without_the_onnx_package_the_shipped_model_still_embeds(shipped, tmp_path,
                                                                 monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "onnx", None)
    emb = TextEmbedder(ModelStore(tmp_path / "models"))
    with caplog.at_level(logging.WARNING):
        vec = emb.embed(["what time is it"])
    assert np.allclose(vec, shipped.embed(["what time is it"]), atol=1e-6)
    assert "onnx package is not installed" in caplog.text
    assert not (tmp_path / "models" / MODEL_ID / COMPACT_FILE).exists()


@pytest.mark.slow
def test_example_vectors_kept_on_disk_are_the_models_and_per_model(compact, shipped,
                                                                    phrases, models_dir):
    """A later start reads the example phrases' vectors instead of embedding them again;
    they are the model's own vectors, and the shipped and the compact model never share
    a file."""
    from assistant.agent.embeddings import ExampleIndex

    def kept():
        return set((models_dir / MODEL_ID).glob("examples-*.npy"))

    assert compact.fingerprint != shipped.fingerprint
    phrases = [*phrases, "a phrase set no other test uses"]
    before = kept()
    made = ExampleIndex(compact).matrix(phrases)
    assert len(kept() - before) == 1
    again = TextEmbedder(ModelStore(models_dir))
    calls = []
    again.embed = lambda texts: calls.append(texts) or compact.embed(texts)
    np.testing.assert_array_equal(ExampleIndex(again).matrix(phrases), made)
    assert calls == []
    np.testing.assert_allclose(made[:5], compact.embed(phrases[:5]), atol=1e-6)
    before = kept()
    ExampleIndex(shipped).matrix(phrases)
    assert len(kept() - before) == 1
