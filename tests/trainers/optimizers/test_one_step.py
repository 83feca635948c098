"""One or two steps of each optimizer against numbers worked out by hand.

Every case starts at w = [1, 2] with gradient g = [3, -4], so g * g = [9, 16] and the roots are
easy. Where there is an epsilon it is large (0.5 or 1.0), so putting it on the wrong side of a
square root would change the answer well beyond the tolerance.
"""

import numpy as np
import pytest

from tests.trainers.optimizers.support import run_steps
from trainers import optimizers

W0 = [1.0, 2.0]
G = [3.0, -4.0]

CASES = [
    # sgd, lr 0.1:  w = [1 - 0.1*3, 2 + 0.1*4] = [0.7, 2.4]
    ("sgd", {"learning_rate": 0.1}, [[0.7, 2.4]]),
    # momentum, lr 0.1, beta 0.5, average:
    #   step 1: v = 0.5*0 + 0.5*[3, -4] = [1.5, -2];  w = [1 - 0.15, 2 + 0.2] = [0.85, 2.2]
    #   step 2: v = 0.5*[1.5, -2] + 0.5*[3, -4] = [2.25, -3];  w = [0.85 - 0.225, 2.2 + 0.3]
    (
        "momentum",
        {"learning_rate": 0.1, "momentum": 0.5, "ewma": True},
        [[0.85, 2.2], [0.625, 2.5]],
    ),
    # momentum, lr 0.1, beta 0.5, heavy-ball:
    #   step 1: v = [3, -4];  w = [0.7, 2.4]
    #   step 2: v = 0.5*[3, -4] + [3, -4] = [4.5, -6];  w = [0.7 - 0.45, 2.4 + 0.6] = [0.25, 3.0]
    (
        "momentum",
        {"learning_rate": 0.1, "momentum": 0.5, "ewma": False},
        [[0.7, 2.4], [0.25, 3.0]],
    ),
    # nesterov, lr 0.1, beta 0.5, average:
    #   v = [1.5, -2];  direction = 0.5*[1.5, -2] + 0.5*[3, -4] = [2.25, -3]
    #   w = [1 - 0.225, 2 + 0.3] = [0.775, 2.3]
    ("nesterov", {"learning_rate": 0.1, "momentum": 0.5, "ewma": True}, [[0.775, 2.3]]),
    # nesterov, lr 0.1, beta 0.5, heavy-ball:
    #   v = [3, -4];  direction = 0.5*[3, -4] + [3, -4] = [4.5, -6]
    #   w = [1 - 0.45, 2 + 0.6] = [0.55, 2.6]
    ("nesterov", {"learning_rate": 0.1, "momentum": 0.5, "ewma": False}, [[0.55, 2.6]]),
    # adagrad, lr 0.1, s0 0, eps 0.5:  s = [9, 16], sqrt(s) = [3, 4]
    #   w = [1 - 0.1*3/3.5, 2 + 0.1*4/4.5] = [1 - 0.0857142857, 2 + 0.0888888889]
    #   (eps inside the root would give 3/sqrt(9.5) = 0.9733 instead of 3/3.5 = 0.8571)
    (
        "adagrad",
        {"learning_rate": 0.1, "initial_accumulator_value": 0.0, "epsilon": 0.5},
        [[0.9142857143, 2.0888888889]],
    ),
    # adagrad, lr 0.1, s0 16, eps 1:  s = [25, 32], sqrt(s) = [5, 5.6568542495]
    #   w = [1 - 0.1*3/6, 2 + 0.1*4/6.6568542495] = [1 - 0.05, 2 + 0.0600884419]
    (
        "adagrad",
        {"learning_rate": 0.1, "initial_accumulator_value": 16.0, "epsilon": 1.0},
        [[0.95, 2.0600884419]],
    ),
    # adadelta, lr 0.5, rho 0.5, eps 1:
    #   a = 0.5*0 + 0.5*[9, 16] = [4.5, 8];  sqrt(a + 1) = [sqrt(5.5), 3] = [2.3452078799, 3]
    #   u = sqrt(0 + 1) / sqrt(a + 1) * g = [3/2.3452078799, -4/3] = [1.2792042981, -1.3333333333]
    #   w = [1 - 0.5*1.2792042981, 2 + 0.5*1.3333333333] = [0.3603978510, 2.6666666667]
    #   step 2, same g:  d = 0.5*u*u = [9/11, 8/9];  a = 0.5*[4.5, 8] + 0.5*[9, 16] = [6.75, 12]
    #   u = sqrt(d + 1) / sqrt(a + 1) * g = [sqrt(20/11)/sqrt(7.75)*3, -sqrt(17/9)/sqrt(13)*4]
    #     = [1.3483997249/2.7838821814*3, -1.3743685419/3.6055512755*4]
    #     = [1.4530784399, -1.5247249995]
    #   w = [0.3603978510 - 0.7265392200, 2.6666666667 + 0.7623624998]
    (
        "adadelta",
        {"learning_rate": 0.5, "rho": 0.5, "epsilon": 1.0},
        [[0.3603978510, 2.6666666667], [-0.3661413690, 3.4290291665]],
    ),
    # rmsprop, lr 0.1, rho 0.75, eps 0.5:  s = 0.25*[9, 16] = [2.25, 4], sqrt(s) = [1.5, 2]
    #   w = [1 - 0.1*3/2, 2 + 0.1*4/2.5] = [0.85, 2.16]
    ("rmsprop", {"learning_rate": 0.1, "rho": 0.75, "epsilon": 0.5}, [[0.85, 2.16]]),
    # adam, lr 0.1, b1 0.5, b2 0.75, eps 0.5:
    #   step 1: m = 0.5*g = [1.5, -2], v = 0.25*g*g = [2.25, 4]
    #     m^ = m/(1 - 0.5) = [3, -4], v^ = v/(1 - 0.75) = [9, 16]
    #     w = [1 - 0.1*3/3.5, 2 + 0.1*4/4.5] = [0.9142857143, 2.0888888889]
    #   step 2, same g: m = [2.25, -3], v = 0.75*[2.25, 4] + 0.25*[9, 16] = [3.9375, 7]
    #     m^ = m/(1 - 0.25) = [3, -4], v^ = v/(1 - 0.5625) = [9, 16]: the same step again,
    #     which holds only if step 2 uses t = 2 in both corrections
    #     w = [0.9142857143 - 0.0857142857, 2.0888888889 + 0.0888888889]
    (
        "adam",
        {"learning_rate": 0.1, "beta_1": 0.5, "beta_2": 0.75, "epsilon": 0.5},
        [[0.9142857143, 2.0888888889], [0.8285714286, 2.1777777778]],
    ),
    # adamw, lr 0.1, b1 0.5, b2 0.75, eps 0.5, lambda 1 (each step keeps 1 - 0.1 = 0.9 of w):
    #   step 1: w = 0.9*[1, 2] = [0.9, 1.8], then Adam's step above, [-0.0857142857, +0.0888888889]
    #     w = [0.8142857143, 1.8888888889]
    #   step 2: w = 0.9*w = [0.7328571429, 1.7], then the same Adam step again
    (
        "adamw",
        {
            "learning_rate": 0.1,
            "beta_1": 0.5,
            "beta_2": 0.75,
            "epsilon": 0.5,
            "weight_decay_rate": 1.0,
            "amsgrad": False,
        },
        [[0.8142857143, 1.8888888889], [0.6471428571, 1.7888888889]],
    ),
    # lion, lr 0.1, b1 0.5, b2 0.75, lambda 0:
    #   step 1: c = 0.5*[3, -4], sign(c) = [1, -1];  w = [1 - 0.1, 2 + 0.1]
    #     m = 0.25*g = [0.75, -1]
    #   step 2, same g: c = 0.5*[0.75, -1] + 0.5*[3, -4] = [1.875, -2.5];  w = [0.8, 2.2]
    (
        "lion",
        {"learning_rate": 0.1, "beta_1": 0.5, "beta_2": 0.75, "weight_decay_rate": 0.0},
        [[0.9, 2.1], [0.8, 2.2]],
    ),
]

# Gradients that change from step to step: where AMSGrad's maximum, Adamax's maximum and the
# order of Lion's two averages make a difference.
G2 = [G, [1.0, 0.0]]
CHANGING = [
    # adam with amsgrad, lr 0.1, b1 0.5, b2 0.5, eps 0.5:
    #   step 1: m = [1.5, -2], v = vmax = [4.5, 8];  m^ = [3, -4], v^ = [9, 16]
    #     w = [1 - 0.1*3/3.5, 2 + 0.1*4/4.5] = [0.9142857143, 2.0888888889]
    #   step 2, g = [1, 0]: m = [1.25, -1], v = [2.75, 4] falls, vmax = [4.5, 8] stays
    #     m^ = m/0.75 = [1.6666666667, -1.3333333333], v^ = vmax/0.75 = [6, 10.6666666667]
    #     sqrt(v^) = [2.4494897428, 3.2659863237]
    #     w = [0.9142857143 - 0.1*1.6666666667/2.9494897428,
    #          2.0888888889 + 0.1*1.3333333333/3.7659863237]
    #   (plain Adam would divide by sqrt(v/0.75) = [1.9148542155, 2.3094010768] instead)
    (
        "adam",
        {"learning_rate": 0.1, "beta_1": 0.5, "beta_2": 0.5, "epsilon": 0.5, "amsgrad": True},
        G2,
        [[0.9142857143, 2.0888888889], [0.8577787652, 2.1242935138]],
    ),
    # adamax, lr 0.1, b1 0.5, b2 0.5, eps 0.5:
    #   step 1: m = [1.5, -2], u = |g| + eps = [3.5, 4.5];  w = [1 - 0.2*1.5/3.5, 2 + 0.2*2/4.5]
    #   step 2, g = [1, 0]: m = [1.25, -1];  u = max(0.5*[3.5, 4.5], [1.5, 0.5]) = [1.75, 2.25]
    #     w = w - 0.1/0.75 * m/u = [0.9142857143 - 0.0952380952, 2.0888888889 + 0.0592592593]
    #   (eps outside the max, max(0.5*[3, 4], [1, 0]) + eps = [2, 2.5], would give other steps)
    (
        "adamax",
        {"learning_rate": 0.1, "beta_1": 0.5, "beta_2": 0.5, "epsilon": 0.5},
        G2,
        [[0.9142857143, 2.0888888889], [0.8190476190, 2.1481481481]],
    ),
    # lion, lr 0.1, b1 0.5, b2 0.75, lambda 0.5 (the decay reads w before the step):
    #   step 1: sign(c) = [1, -1];  w = [1, 2] - 0.1*([1, -1] + 0.5*[1, 2]) = [0.85, 2.0]
    #     m = 0.25*[3, -4] = [0.75, -1]
    #   step 2, g = [-1, 2]: c = 0.5*[0.75, -1] + 0.5*[-1, 2] = [-0.125, 0.5], sign [-1, 1]
    #     w = [0.85 - 0.1*(-1 + 0.425), 2.0 - 0.1*(1 + 1.0)] = [0.9075, 1.8]
    #   (b2 in c, 0.75*m + 0.25*g = [0.3125, -0.25], would have the opposite signs)
    (
        "lion",
        {"learning_rate": 0.1, "beta_1": 0.5, "beta_2": 0.75, "weight_decay_rate": 0.5},
        [G, [-1.0, 2.0]],
        [[0.85, 2.0], [0.9075, 1.8]],
    ),
]


@pytest.mark.parametrize(
    "name, hyperparameters, expected",
    CASES,
    ids=[f"{name}-{i}" for i, (name, _, _) in enumerate(CASES)],
)
def test_steps_match_hand_arithmetic(name, hyperparameters, expected):
    optimizer = optimizers.get(name, **hyperparameters)
    path = run_steps(optimizer, W0, [G] * len(expected))
    np.testing.assert_allclose(path, expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(
    "name, hyperparameters, gradients, expected",
    CHANGING,
    ids=[f"{name}-{i}" for i, (name, _, _, _) in enumerate(CHANGING)],
)
def test_steps_with_changing_gradients_match_hand_arithmetic(
    name, hyperparameters, gradients, expected
):
    path = run_steps(optimizers.get(name, **hyperparameters), W0, gradients)
    np.testing.assert_allclose(path, expected, rtol=1e-6, atol=1e-6)
