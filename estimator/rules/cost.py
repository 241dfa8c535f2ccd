"""Money, energy and carbon for runs on GPUs."""

from __future__ import annotations

import warnings

import numpy as np

from estimator.rules.base import rule


@rule(unit="USD", formula="GPU-hours × price per GPU-hour", source="price table (provider, GPU, tier)")
def cost_usd(gpu_hours, price_usd_per_gpu_hour):
    return gpu_hours * price_usd_per_gpu_hour


@rule(unit="USD/GPU-hour", formula="median of the listed prices for the GPU and tier (the one price of a named provider)",
      source="price table; a median so that no single vendor's list price decides an estimate without a provider")
def rental_usd_per_gpu_hour(listed_usd_per_gpu_hour):
    listed = np.asarray(listed_usd_per_gpu_hour, dtype=float)
    if listed.ndim < 2:  # one price per row (a named provider)
        return listed
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows: owned GPUs or no price listed
        return np.nanmedian(listed, axis=-1)


def _uses_price(v):
    return ("owned", "owned_usd_per_gpu_hour") if v["owned"] else ("owned", "rental_usd_per_gpu_hour")


@rule(unit="USD/GPU-hour", formula="owned GPUs: the owned cost per GPU-hour; rented: the rental price",
      source="definition", uses=_uses_price)
def price_usd_per_gpu_hour(owned, owned_usd_per_gpu_hour, rental_usd_per_gpu_hour):
    return np.where(np.asarray(owned, dtype=bool), owned_usd_per_gpu_hour, rental_usd_per_gpu_hour)


@rule(unit="kWh", formula="GPU-hours × TDP (W) / 1000 × PUE",
      source="Touvron et al. 2023 (LLaMA) sec. 6 and Llama 2/3.1 model cards: GPU-hours × per-GPU power × PUE")
def energy_kwh(gpu_hours, tdp_w, pue):
    return gpu_hours * tdp_w / 1000.0 * pue


@rule(unit="kgCO2e", formula="energy × grid carbon intensity", source="Touvron et al. 2023 (LLaMA) sec. 6 (Wu et al. 2022 method)")
def co2_kg(energy_kwh, grid_kgco2_per_kwh):
    return energy_kwh * grid_kgco2_per_kwh


@rule(unit="USD", formula="energy × electricity price (already inside a rental price; the bill if you own the GPUs)",
      source="energy table (electricity price)")
def energy_cost_usd(energy_kwh, electricity_usd_per_kwh):
    return energy_kwh * electricity_usd_per_kwh
