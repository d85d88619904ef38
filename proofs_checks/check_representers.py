"""Exact (sympy, rational) checks of the representer decompositions' key steps."""

import itertools

import sympy as sp


def test_logistic_derivative_label_conventions():
    f = sp.Symbol("f", real=True)
    sigma = 1 / (1 + sp.exp(-f))
    for y in (-1, 1):
        loss = sp.log(1 + sp.exp(-y * f))
        deriv = sp.diff(loss, f)
        # {-1,+1} form: -y sigma(-y f)
        assert sp.simplify(deriv - (-y / (1 + sp.exp(y * f)))) == 0
        # {0,1} form with y01 = (1 + y) / 2: sigma(f) - y01
        assert sp.simplify(deriv - (sigma - sp.Rational(1 + y, 2))) == 0
    # the mixed-up form sigma(f) - y is wrong for y = -1 (off by exactly 1)
    loss = sp.log(1 + sp.exp(f))
    assert sp.simplify(sp.diff(loss, f) - (sigma + 1)) == -1


def test_l2_identity_from_stationarity():
    n, d = 3, 2
    lam = sp.Symbol("lambda", positive=True)
    X = sp.Matrix(n, d, lambda i, k: sp.Symbol(f"x{i}{k}"))
    xt = sp.Matrix(1, d, lambda _, k: sp.Symbol(f"t{k}"))
    lp = sp.symbols(f"l0:{n}")  # l'_i at the optimum
    # stationarity (1/n) sum l'_i x_i + 2 lam theta = 0
    theta = -sum((lp[i] * X[i, :] for i in range(n)), sp.zeros(1, d)) / (2 * lam * n)
    alpha = [-lp[i] / (lam * n) for i in range(n)]
    decomposition = sum(alpha[i] / 2 * (X[i, :] * xt.T)[0] for i in range(n))
    assert sp.simplify((theta * xt.T)[0] - decomposition) == 0


def test_l1_identity_residual_formula_and_kkt():
    # residual = theta.x_t - sum_i alpha_i <x_i, x_t>_{|theta|}
    #          = sum_k |theta_k| x_tk (g_k + lam sign theta_k) / lam   (k in the support)
    n, d = 3, 3
    lam = sp.Symbol("lambda", positive=True)
    X = sp.Matrix(n, d, lambda i, k: sp.Symbol(f"x{i}{k}"))
    xt = [sp.Symbol(f"t{k}") for k in range(d)]
    lp = sp.symbols(f"l0:{n}")
    mags = sp.symbols(f"a0:{d}", positive=True)
    for signs in itertools.product((-1, 1), repeat=d):
        theta = [signs[k] * mags[k] for k in range(d)]
        g = [sum(lp[i] * X[i, k] for i in range(n)) / n for k in range(d)]
        alpha = [-lp[i] / (lam * n) for i in range(n)]
        decomposition = sum(
            alpha[i] * sum(mags[k] * X[i, k] * xt[k] for k in range(d)) for i in range(n)
        )
        residual = sum(theta[k] * xt[k] for k in range(d)) - decomposition
        formula = sum(mags[k] * xt[k] * (g[k] + lam * signs[k]) / lam for k in range(d))
        assert sp.expand(residual - formula) == 0
        # at a KKT point g_k = -lam sign(theta_k) on the support, the residual vanishes
        G = sp.symbols(f"G0:{d}")
        at_kkt = sum(mags[k] * xt[k] * (G[k] + lam * signs[k]) / lam for k in range(d))
        assert sp.simplify(at_kkt.subs({G[k]: -lam * signs[k] for k in range(d)})) == 0


def _rational_orthogonal(m):
    # Cayley transform of a rational skew-symmetric matrix is a rational orthogonal matrix
    K = sp.Matrix(m, m, lambda i, j: sp.Rational(i - j, 3 + i + 2 * j) if i != j else 0)
    K = K - K.T
    identity = sp.eye(m)
    return (identity - K) * (identity + K).inv()


def test_nuclear_identity_exact_rational():
    m, k, r = 4, 5, 2
    Qm, Qk = _rational_orthogonal(m), _rational_orthogonal(k)
    assert sp.simplify(Qm.T * Qm - sp.eye(m)) == sp.zeros(m, m)
    U, V = Qm[:, :r], Qk[:, :r]
    S = sp.diag(sp.Rational(3), sp.Rational(5, 4))
    Theta = U * S * V.T
    # a subgradient direction W with U^T W = 0, W V = 0 (any rational B projected)
    B = sp.Matrix(m, k, lambda i, j: sp.Rational((i * 7 + j * 3) % 5 - 2, 7))
    W = (sp.eye(m) - U * U.T) * B * (sp.eye(k) - V * V.T)
    A = U * V.T + W  # = -(1/lambda) grad at a KKT point: A V = U, A^T U = V
    assert A * V == U and A.T * U == V
    assert Theta == A * V * S * V.T == U * S * U.T * A
    # entrywise: Theta_uv = 1/2 sum_ij A_ij (1[i=u] (V S V^T)_jv + 1[j=v] (U S U^T)_iu)
    VSV, USU = V * S * V.T, U * S * U.T
    for u in range(m):
        for v in range(k):
            total = sum(A[u, j] * VSV[j, v] for j in range(k)) + sum(
                A[i, v] * USU[i, u] for i in range(m)
            )
            assert sp.Rational(1, 2) * total == Theta[u, v]


def test_leave_one_out_is_influence_over_one_minus_leverage():
    # quadratic model: deleting point i (weight 0, 1/n kept) is a rank-one downdate of the
    # Hessian, so the exact change is the influence H^{-1} g / n divided by (1 - x^T H^{-1} x / n)
    n = 3
    x = sp.Matrix(sp.symbols("h0:3"))
    H = sp.Matrix([[2, 0, 1], [0, 3, 0], [1, 0, 4]])
    r = sp.Symbol("r")  # residual l'_i = x_i . theta - y_i
    g = r * x
    Hinv = H.inv()
    lhs = (H - x * x.T / n).inv() * g / n
    rhs = Hinv * g / n / (1 - (x.T * Hinv * x)[0] / n)
    assert sp.simplify(lhs - rhs) == sp.zeros(3, 1)
