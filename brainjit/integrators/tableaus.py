"""Butcher tableaus of the explicit Runge–Kutta schemes of ``bp.odeint``.

A tableau is ``(A, b, c)``: the rows of the strictly lower-triangular matrix ``A`` (row
``s`` has ``s`` entries), the weights ``b`` and the nodes ``c``. An embedded pair (the
adaptive methods) has two weight vectors, ``(A, b, b_low, c)``: ``b`` gives the solution
that is propagated (the higher order, "local extrapolation", as SciPy's ``RK45`` and
``RK23`` do) and ``b - b_low`` the local error estimate. Entries are exact fractions,
except Ralston's fourth-order method, whose optimal coefficients involve ``sqrt(5)``.
"""

from __future__ import annotations

import math
from fractions import Fraction as F

__all__ = ["TABLEAUS", "EMBEDDED", "ORDERS", "ERROR_ORDERS"]

_S5 = math.sqrt(5.0)

TABLEAUS = {
    "euler": ([[]], [F(1)], [F(0)]),
    "midpoint": ([[], [F(1, 2)]], [F(0), F(1)], [F(0), F(1, 2)]),
    "heun": ([[], [F(1)]], [F(1, 2), F(1, 2)], [F(0), F(1)]),
    # Ralston's second-order method: the smallest error bound of the 2-stage schemes.
    "rk2": ([[], [F(2, 3)]], [F(1, 4), F(3, 4)], [F(0), F(2, 3)]),
    "ralston2": ([[], [F(2, 3)]], [F(1, 4), F(3, 4)], [F(0), F(2, 3)]),
    "rk3": ([[], [F(1, 2)], [F(-1), F(2)]], [F(1, 6), F(2, 3), F(1, 6)], [F(0), F(1, 2), F(1)]),
    "heun3": ([[], [F(1, 3)], [F(0), F(2, 3)]], [F(1, 4), F(0), F(3, 4)], [F(0), F(1, 3), F(2, 3)]),
    "ralston3": (
        [[], [F(1, 2)], [F(0), F(3, 4)]],
        [F(2, 9), F(1, 3), F(4, 9)],
        [F(0), F(1, 2), F(3, 4)],
    ),
    # Shu–Osher's third-order strong-stability-preserving method.
    "ssprk3": (
        [[], [F(1)], [F(1, 4), F(1, 4)]],
        [F(1, 6), F(1, 6), F(2, 3)],
        [F(0), F(1), F(1, 2)],
    ),
    "rk4": (
        [[], [F(1, 2)], [F(0), F(1, 2)], [F(0), F(0), F(1)]],
        [F(1, 6), F(1, 3), F(1, 3), F(1, 6)],
        [F(0), F(1, 2), F(1, 2), F(1)],
    ),
    "rk4_38rule": (
        [[], [F(1, 3)], [F(-1, 3), F(1)], [F(1), F(-1), F(1)]],
        [F(1, 8), F(3, 8), F(3, 8), F(1, 8)],
        [F(0), F(1, 3), F(2, 3), F(1)],
    ),
    # Ralston (1962): the fourth-order 4-stage scheme with minimal truncation error.
    "ralston4": (
        [
            [],
            [F(2, 5)],
            [(-2889 + 1428 * _S5) / 1024, (3785 - 1620 * _S5) / 1024],
            [
                (-3365 + 2094 * _S5) / 6040,
                (-975 - 3046 * _S5) / 2552,
                (467040 + 203968 * _S5) / 240845,
            ],
        ],
        [
            (263 + 24 * _S5) / 1812,
            (125 - 1000 * _S5) / 3828,
            (3426304 + 1661952 * _S5) / 5924787,
            (30 - 4 * _S5) / 123,
        ],
        [F(0), F(2, 5), 7 / 8 - 3 * _S5 / 16, F(1)],
    ),
}

EMBEDDED = {
    # Heun (order 2) with Euler (order 1).
    "heun_euler": ([[], [F(1)]], [F(1, 2), F(1, 2)], [F(1), F(0)], [F(0), F(1)]),
    # Bogacki–Shampine 3(2): SciPy's RK23.
    "bs": (
        [[], [F(1, 2)], [F(0), F(3, 4)], [F(2, 9), F(1, 3), F(4, 9)]],
        [F(2, 9), F(1, 3), F(4, 9), F(0)],
        [F(7, 24), F(1, 4), F(1, 3), F(1, 8)],
        [F(0), F(1, 2), F(3, 4), F(1)],
    ),
    # Runge–Kutta–Fehlberg 4(5).
    "rkf45": (
        [
            [],
            [F(1, 4)],
            [F(3, 32), F(9, 32)],
            [F(1932, 2197), F(-7200, 2197), F(7296, 2197)],
            [F(439, 216), F(-8), F(3680, 513), F(-845, 4104)],
            [F(-8, 27), F(2), F(-3544, 2565), F(1859, 4104), F(-11, 40)],
        ],
        [F(16, 135), F(0), F(6656, 12825), F(28561, 56430), F(-9, 50), F(2, 55)],
        [F(25, 216), F(0), F(1408, 2565), F(2197, 4104), F(-1, 5), F(0)],
        [F(0), F(1, 4), F(3, 8), F(12, 13), F(1), F(1, 2)],
    ),
    # Cash–Karp 4(5).
    "ck": (
        [
            [],
            [F(1, 5)],
            [F(3, 40), F(9, 40)],
            [F(3, 10), F(-9, 10), F(6, 5)],
            [F(-11, 54), F(5, 2), F(-70, 27), F(35, 27)],
            [F(1631, 55296), F(175, 512), F(575, 13824), F(44275, 110592), F(253, 4096)],
        ],
        [F(37, 378), F(0), F(250, 621), F(125, 594), F(0), F(512, 1771)],
        [F(2825, 27648), F(0), F(18575, 48384), F(13525, 55296), F(277, 14336), F(1, 4)],
        [F(0), F(1, 5), F(3, 10), F(3, 5), F(1), F(7, 8)],
    ),
    # Dormand–Prince 5(4): SciPy's RK45 (the 7th stage is the next step's first, FSAL;
    # a step function is stateless, so it is evaluated again there).
    "rkdp": (
        [
            [],
            [F(1, 5)],
            [F(3, 40), F(9, 40)],
            [F(44, 45), F(-56, 15), F(32, 9)],
            [F(19372, 6561), F(-25360, 2187), F(64448, 6561), F(-212, 729)],
            [F(9017, 3168), F(-355, 33), F(46732, 5247), F(49, 176), F(-5103, 18656)],
            [F(35, 384), F(0), F(500, 1113), F(125, 192), F(-2187, 6784), F(11, 84)],
        ],
        [F(35, 384), F(0), F(500, 1113), F(125, 192), F(-2187, 6784), F(11, 84), F(0)],
        [
            F(5179, 57600),
            F(0),
            F(7571, 16695),
            F(393, 640),
            F(-92097, 339200),
            F(187, 2100),
            F(1, 40),
        ],
        [F(0), F(1, 5), F(3, 10), F(4, 5), F(8, 9), F(1), F(1)],
    ),
}

#: Order of the propagated solution (fixed step).
ORDERS = {
    "euler": 1,
    "midpoint": 2,
    "heun": 2,
    "rk2": 2,
    "ralston2": 2,
    "rk3": 3,
    "heun3": 3,
    "ralston3": 3,
    "ssprk3": 3,
    "rk4": 4,
    "rk4_38rule": 4,
    "ralston4": 4,
    "exp_euler": 1,
    "heun_euler": 2,
    "bs": 3,
    "rkf45": 5,
    "ck": 5,
    "rkdp": 5,
}

#: Order of the embedded (lower-order) solution: the local error estimate is
#: O(dt^(ERROR_ORDERS + 1)), which sets the step-size controller's exponent.
ERROR_ORDERS = {"heun_euler": 1, "bs": 2, "rkf45": 4, "ck": 4, "rkdp": 4}
