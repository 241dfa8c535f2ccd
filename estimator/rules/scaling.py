"""Scaling laws: predicted loss L(N, D) = E + A/N^α + B/D^β, the compute-optimal split of a FLOP budget, and the
inference-aware split (Sardana et al. 2024).

The fit's constants (E, A, B, α, β) are givens from the `scaling_laws` table: Besiroglu et al. 2024 (Epoch AI refit of
Chinchilla) by default, Hoffmann et al. 2022 approach 3 as `chinchilla`, or a user fit.
"""

from __future__ import annotations

import numpy as np

from estimator.rules.base import rule

BISECTION_STEPS = 200  # log-space bisection on N: 200 halvings of a 1e30 bracket is far below float precision


def _stationarity(n, c, d_inf, a_coef, b_coef, alpha, beta):
    """Lagrange condition for min 6ND + 2N·D_inf s.t. L(N, D) fixed, with D = C/(6N): zero at the optimum.

    (6D + 2·D_inf)·β·B·N^α − 6·α·A·D^(β+1); negative below the optimum, positive above.
    """
    d = c / (6.0 * n)
    return (6.0 * d + 2.0 * d_inf) * beta * b_coef * n ** alpha - 6.0 * alpha * a_coef * d ** (beta + 1.0)


@rule(unit="params", formula="C = 6·N·D. No inference: N_opt = G·(C/6)^(β/(α+β)), G = (α·A/(β·B))^(1/(α+β)) "
      "(Hoffmann app. D.2). With inference tokens D_inf: the N on the budget line that minimises 6·N·D + 2·N·D_inf at "
      "the loss it reaches, i.e. (6D + 2D_inf)·β·B·N^α = 6·α·A·D^(β+1) (Sardana et al. 2024, Lagrangian of eq. 1)",
      source="Hoffmann et al. 2022 appendix D.2; Sardana, Portes, Doubov, Frankle 2024 (arXiv 2401.00448) sec. 2-3")
def plan_params(compute_budget_flops, inference_tokens, scaling_A, scaling_B, scaling_alpha, scaling_beta):
    c = np.asarray(compute_budget_flops, dtype=float)
    d_inf = np.asarray(inference_tokens, dtype=float)
    a_coef, b_coef, alpha, beta = scaling_A, scaling_B, scaling_alpha, scaling_beta
    g = (alpha * a_coef / (beta * b_coef)) ** (1.0 / (alpha + beta))
    closed = g * (c / 6.0) ** (beta / (alpha + beta))
    shape = np.broadcast_shapes(np.shape(c), np.shape(d_inf), np.shape(alpha))
    lo = np.full(shape, 1.0)
    hi = np.broadcast_to(np.maximum(c / 6.0, 10.0), shape).copy()  # D >= 1 token
    for _ in range(BISECTION_STEPS):
        mid = np.sqrt(lo * hi)
        above = _stationarity(mid, c, d_inf, a_coef, b_coef, alpha, beta) > 0
        hi = np.where(above, mid, hi)
        lo = np.where(above, lo, mid)
    solved = np.sqrt(lo * hi)
    return np.where(d_inf > 0, solved, closed)


@rule(unit="tokens", formula="D = C / (6·N)", source="Kaplan et al. 2020 Table 1 (C = 6ND); Hoffmann et al. 2022")
def plan_train_tokens(compute_budget_flops, plan_params):
    return compute_budget_flops / (6.0 * plan_params)


@rule(unit="tokens/param", formula="D / N", source="definition (≈20 at the Chinchilla optimum, Hoffmann et al. 2022)")
def plan_tokens_per_param(plan_train_tokens, plan_params):
    return plan_train_tokens / plan_params


@rule(unit="nats/token", formula="L = E + A/N^α + B/D^β (the fit's prediction on its own training data, not a "
      "promise about yours)",
      source="Hoffmann et al. 2022 eq. 2; constants from the chosen scaling_laws row")
def predicted_loss(plan_params, plan_train_tokens, scaling_E, scaling_A, scaling_B, scaling_alpha, scaling_beta):
    return (scaling_E + scaling_A / plan_params ** scaling_alpha
            + scaling_B / plan_train_tokens ** scaling_beta)


@rule(unit="FLOP", formula="6·N·D_train + 2·N·D_inference", source="Sardana et al. 2024 sec. 2 (training 6N, "
      "inference 2N FLOPs per token)")
def lifetime_flops(plan_params, plan_train_tokens, inference_tokens):
    return 6.0 * plan_params * plan_train_tokens + 2.0 * plan_params * inference_tokens
