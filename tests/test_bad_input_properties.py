"""Scaling properties through the public API (issue 13), checked with hypothesis.

More tokens is never cheaper (nor faster, nor fewer GPU-hours): every cost term grows with the tokens and the
GPU count chosen by memory fit does not depend on them. (More GPUs is never slower is issue 10's:
tests/test_properties_scaling.py.)"""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import estimator

FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
GPU_ROUTES = [("lora", "llama-3.1-8b", "h100-sxm"), ("qlora", "llama-3.1-70b", "a100-80gb"),
              ("full", "llama-3.1-8b", "h100-sxm"), ("pretrain", "llama-3.1-8b", "h100-sxm")]


def _close_or_more(bigger, smaller):
    return bigger >= smaller * (1 - 1e-12)


@FAST
@given(route=st.sampled_from(GPU_ROUTES), tokens=st.floats(1e5, 1e12), factor=st.floats(1.0, 1000.0),
       gpus=st.sampled_from([None, 8, 64, 1024]), provider=st.sampled_from([None, "owned"]))
def test_more_tokens_is_never_cheaper(route, tokens, factor, gpus, provider):
    method, model, gpu = route
    kw = dict(method=method, model=model, gpu=gpu, gpus=gpus, provider=provider,
              overrides={"purchase_usd_per_gpu": 30000} if provider else None)
    few = estimator.estimate(tokens=tokens, **kw)
    many = estimator.estimate(tokens=tokens * factor, **kw)
    assert many.gpus == few.gpus  # fit (or the given count) does not depend on the tokens
    for q in ("cost_usd", "gpu_hours", "wall_clock_hours", "energy_kwh", "train_flops"):
        assert _close_or_more(many.values[q], few.values[q]), (q, few.values[q], many.values[q])


@FAST
@given(tokens=st.floats(1e3, 1e10), factor=st.floats(1.0, 1000.0), epochs=st.sampled_from([None, 1, 3]))
def test_more_tokens_is_never_cheaper_on_a_hosted_api(tokens, factor, epochs):
    few = estimator.estimate(method="api", model="gpt-4o-mini", tokens=tokens, epochs=epochs)
    many = estimator.estimate(method="api", model="gpt-4o-mini", tokens=tokens * factor, epochs=epochs)
    assert _close_or_more(many.cost_usd, few.cost_usd)


@FAST
@given(tokens=st.floats(1e9, 1e12), factor=st.floats(1.0, 100.0))
def test_more_tokens_never_finishes_a_deadline_with_fewer_gpus(tokens, factor):
    kw = dict(method="pretrain", model="llama-3.1-8b", gpu="h100-sxm", deadline="30d")
    few = estimator.estimate(tokens=tokens, **kw)
    many = estimator.estimate(tokens=tokens * factor, **kw)
    assert many.gpus >= few.gpus
    assert _close_or_more(many.cost_usd, few.cost_usd)
