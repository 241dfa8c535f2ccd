"""The wheel, installed into a fresh venv and run from an unrelated directory, finds all its data."""

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # builds and installs the wheel into a fresh venv (minutes)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    base = tmp_path_factory.mktemp("wheel")
    dist = base / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)],
                   check=True, cwd=base, env=_clean_env())
    wheels = list(dist.glob("estimator-*.whl"))
    assert len(wheels) == 1
    env_dir = base / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    py = env_dir / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(wheels[0])], check=True,
                   cwd=base, env=_clean_env())
    return env_dir, wheels[0]


def _clean_env():
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "ESTIMATOR_CATALOG")}
    return env


def test_wheel_carries_data(installed):
    import zipfile

    _, wheel = installed
    names = zipfile.ZipFile(wheel).namelist()
    for needed in ("estimator/specs/models.yaml", "estimator/specs/hardware.yaml", "estimator/specs/assumptions.yaml",
                   "estimator/pricing/gpu_prices.yaml", "estimator/pricing/apis.yaml", "estimator/pricing/energy.yaml",
                   "estimator/data/encodings/cl100k_base.tiktoken", "estimator/data/encodings/o200k_base.tiktoken",
                   "estimator/present/report/templates/report.html.j2",
                   "estimator/present/report/templates/summary.html.j2",
                   "estimator/present/report/templates/style.css",
                   "estimator/data/validation/finetune_throughput.yaml"):
        assert needed in names, needed


def test_installed_command_runs_from_unrelated_directory(installed, tmp_path):
    env_dir, _ = installed
    exe = env_dir / "bin" / "estimator"
    out = subprocess.run([str(exe), "estimate", "--method", "pretrain", "--model", "llama-2-70b", "--tokens", "2T",
                          "--gpu", "a100-80gb", "--gpus", "2000", "--format", "json"],
                         cwd=tmp_path, env=_clean_env(), capture_output=True, text=True, check=True)
    # Llama 2 Table 2; the mechanism fit reads it ~28% high with the default full recomputation (docs/validation.md)
    assert abs(json.loads(out.stdout)["gpu_hours"] / 1_720_320 - 1) < 0.35
    code = ("import estimator, estimator.catalog.loader as c; cat = estimator.load_catalog(); "
            "assert 'site-packages' in c.__file__, c.__file__; print(len(cat.models), len(cat.gpu_prices))")
    out = subprocess.run([str(env_dir / "bin" / "python"), "-c", code], cwd=tmp_path, env=_clean_env(),
                         capture_output=True, text=True, check=True)
    models, prices = map(int, out.stdout.split())
    assert models >= 30 and prices >= 20


def test_installed_command_writes_the_report_from_its_templates(installed, tmp_path):
    env_dir, _ = installed
    subprocess.run([str(env_dir / "bin" / "estimator"), "compare", "--report", "r.html", "--plotlyjs", "cdn"],
                   cwd=tmp_path, env=_clean_env(), capture_output=True, text=True, check=True)
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert '<section id="summary">' in page and '<section id="method">' in page and "table.keyed" in page
