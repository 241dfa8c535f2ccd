"""Owned GPUs: the hourly cost of hardware you bought (amortised capex, cluster network, energy) and the
months of use after which buying beats renting.

Default method: Cottier, Rahman, Fattorini, Maslej, Besiroglu, Owen 2024, 'The rising costs of training frontier AI
models' (arXiv 2405.21015), as implemented in epoch-research/training-cost-trends (cost_estimation.py
`_capex_energy_cost_fn`, hardware.py): value lost per hour = price × 0.14·ln(10) / 8766 (hardware price-performance
improves 0.14 orders of magnitude a year), cluster interconnect adds 19% of the total cluster cost, energy = chip TDP ×
server-to-chip power ratio × average power draw (0.75) × PUE × electricity price. Straight-line depreciation over
`amortization_years` is the alternative (`--set amortization_method=straight_line`).
"""

from __future__ import annotations

import math

import numpy as np

from estimator.rules.base import rule

HOURS_PER_YEAR = 8766.0  # 365.25 days, as in Epoch AI's code (constants.py HOURS_PER_YEAR)
HOURS_PER_MONTH = HOURS_PER_YEAR / 12.0


@rule(unit="1/year", formula="Epoch AI: r·ln(10) with r = OOMs/year of price-performance improvement (0.14 → "
      "0.322/yr); straight line: 1 / amortisation years",
      source="Cottier et al. 2024 (arXiv 2405.21015) sec. 2; epoch-research/training-cost-trends cost_estimation.py "
             "(hardware_replacement_per_year = 0.14 · ln 10)")
def owned_depreciation_per_year(amortization_method, depreciation_ooms_per_year, amortization_years):
    epoch = np.asarray(amortization_method, dtype=object) == "epoch"
    return np.where(epoch, depreciation_ooms_per_year * math.log(10.0), 1.0 / amortization_years)


@rule(unit="USD/GPU", formula="purchase per GPU × server multiplier / (1 − interconnect share of cluster cost)",
      source="Cottier et al. 2024; epoch-research/training-cost-trends: interconnect = cost × 0.19 / (1 − 0.19) "
             "(CLUSTER_INTERCONNECT_COST_FRACTION); server multiplier 1 for system prices (DGX/HGX per GPU), 1.64 "
             "for a bare chip price (hardware.py get_server_cost_overhead)")
def owned_cluster_usd_per_gpu(purchase_usd_per_gpu, server_cost_multiplier, interconnect_cost_fraction):
    return purchase_usd_per_gpu * server_cost_multiplier / (1.0 - interconnect_cost_fraction)


@rule(unit="USD/GPU-hour", formula="cluster cost per GPU × depreciation per year / 8766 h",
      source="Cottier et al. 2024; training-cost-trends cost_estimation.py (price × replacement/yr / HOURS_PER_YEAR)")
def owned_hardware_usd_per_hour(owned_cluster_usd_per_gpu, owned_depreciation_per_year):
    return owned_cluster_usd_per_gpu * owned_depreciation_per_year / HOURS_PER_YEAR


@rule(unit="kW", formula="TDP × server-to-chip power ratio × average power draw × PUE",
      source="training-cost-trends hardware.py: chip_to_server_power (H100 (10.2 kW / 8) / 0.7 kW = 1.82), "
             "server_TDP_fraction 0.75; PUE from the energy region")
def owned_power_kw(tdp_w, server_power_ratio, power_draw_fraction, pue):
    return tdp_w / 1000.0 * server_power_ratio * power_draw_fraction * pue


@rule(unit="USD/GPU-hour", formula="power (kW) × electricity price", source="training-cost-trends cluster_energy_cost")
def owned_energy_usd_per_hour(owned_power_kw, electricity_usd_per_kwh):
    return owned_power_kw * electricity_usd_per_kwh


@rule(unit="USD/GPU-hour", formula="owned GPUs: amortised hardware / utilisation + energy (idle hours still "
      "depreciate; energy is paid when busy)",
      source="Cottier et al. 2024 amortised capex + energy method (training-cost-trends _capex_energy_cost_fn); "
             "utilisation: the share of its life the cluster is busy (assumption)")
def owned_usd_per_gpu_hour(owned_hardware_usd_per_hour, owned_utilization, owned_energy_usd_per_hour):
    return owned_hardware_usd_per_hour / owned_utilization + owned_energy_usd_per_hour


@rule(unit="months", formula="cluster cost per GPU / ((rental price − owned energy) × 730.5 h × utilisation); "
      "inf if renting costs less than the energy",
      source="cash break-even: buying (all-in cluster cost up front, then energy) vs renting the same busy hours")
def breakeven_months(owned_cluster_usd_per_gpu, rental_usd_per_gpu_hour, owned_energy_usd_per_hour, owned_utilization):
    saving = (rental_usd_per_gpu_hour - owned_energy_usd_per_hour) * HOURS_PER_MONTH * owned_utilization
    return np.where(saving > 0, owned_cluster_usd_per_gpu / np.where(saving > 0, saving, 1.0), np.inf)


@rule(unit="USD/GPU", formula="cluster cost per GPU (paid up front) + owned energy × 730.5 h × utilisation × months",
      source="cash view of buying behind breakeven_months: the cluster bought at month 0, energy paid per busy hour")
def owned_cumulative_usd_per_gpu(owned_cluster_usd_per_gpu, owned_energy_usd_per_hour, owned_utilization,
                                 ownership_months):
    return owned_cluster_usd_per_gpu + owned_energy_usd_per_hour * HOURS_PER_MONTH * owned_utilization * ownership_months


@rule(unit="USD/GPU", formula="rental price × 730.5 h × utilisation × months (the same busy hours, rented)",
      source="cash view of renting behind breakeven_months")
def rented_cumulative_usd_per_gpu(rental_usd_per_gpu_hour, owned_utilization, ownership_months):
    return rental_usd_per_gpu_hour * HOURS_PER_MONTH * owned_utilization * ownership_months
