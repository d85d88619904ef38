"""Exact / symbolic checks of the key steps behind the implicit-regularisation topic (sympy)."""

import numpy as np
import sympy as sp

from analysis.implicit_reg.interpolation import relu_interpolant


def _dft(k):
    w = sp.exp(-2 * sp.pi * sp.I / k)
    return sp.Matrix(k, k, lambda i, j: w ** (i * j))


def _circulant(a):
    k = len(a)
    return sp.Matrix(k, k, lambda i, j: a[(i - j) % k])


def test_dft_diagonalises_circulants_symbolically():
    # the t-product of tubes is circular convolution = circulant matrix; the DFT turns it into the
    # entrywise product of the DFTs (Kilmer & Martin 2011, Eq. 3.1), for symbolic tubes
    for k in (2, 3, 4):
        a = sp.symbols(f"a0:{k}", real=True)
        F = _dft(k)
        # F C = diag(F a) F  <=>  F C F^{-1} = diag(F a)   (F is invertible)
        residual = F * _circulant(a) - sp.diag(*(F * sp.Matrix(a))) * F
        assert all(sp.expand(sp.expand_complex(x)) == 0 for x in residual)


def test_t_transpose_is_conjugation_in_the_fourier_domain():
    # reversing slices 2..k of a real tube conjugates its DFT: hat(A^T) = conj(hat(A))^T
    for k in (3, 4, 5):
        a = sp.symbols(f"a0:{k}", real=True)
        rev = [a[(-j) % k] for j in range(k)]
        F = _dft(k)
        lhs, rhs = F * sp.Matrix(rev), (F * sp.Matrix(a)).conjugate()
        assert all(sp.expand(sp.expand_complex(lhs[i] - rhs[i])) == 0 for i in range(k))


def test_wrong_transpose_is_not_conjugation():
    k = 3
    a = sp.symbols(f"a0:{k}", real=True)
    F = _dft(k)
    lhs, rhs = F * sp.Matrix(a[::-1]), (F * sp.Matrix(a)).conjugate()
    assert any(sp.expand(sp.expand_complex(lhs[i] - rhs[i])) != 0 for i in range(k))


def test_sensing_gradient_formula_symbolically():
    # f(U) = 1/2 (<U U^T, A> - y)^2  =>  grad f = r (A + A^T) U   (k = 1, one measurement)
    n, R = 2, 2
    U = sp.Matrix(n, R, lambda i, j: sp.Symbol(f"u{i}{j}", real=True))
    A = sp.Matrix(n, n, lambda i, j: sp.Symbol(f"A{i}{j}", real=True))
    y = sp.Symbol("y", real=True)
    r = sum((U * U.T)[i, j] * A[i, j] for i in range(n) for j in range(n)) - y
    f = r**2 / 2
    grad = sp.Matrix(n, R, lambda i, j: sp.diff(f, U[i, j]))
    assert sp.expand(grad - r * (A + A.T) * U) == sp.zeros(n, R)
    assert sp.expand(grad - 2 * r * A * U) != sp.zeros(n, R)  # dropping A^T is wrong


def test_relu_construction_is_exact_in_rational_arithmetic():
    # Zhang et al. (2017), Thm 1: with interleaved biases the hidden matrix is lower triangular
    # with a positive diagonal; the forward substitution is exact over the rationals
    rng = np.random.default_rng(0)
    X = rng.integers(-50, 50, size=(8, 3)).astype(float)
    y = rng.integers(-9, 9, size=8).astype(float)
    net = relu_interpolant(X, y, rng=1)
    z = [sp.Rational(v).limit_denominator(10**12) for v in X @ net.a]
    order = sorted(range(8), key=lambda i: z[i])
    zs = [z[i] for i in order]
    b = [zs[0] - 1] + [(zs[i] + zs[i + 1]) / 2 for i in range(7)]
    H = sp.Matrix(8, 8, lambda i, j: sp.Max(zs[i] - b[j], 0))
    assert all(H[i, j] == 0 for i in range(8) for j in range(i + 1, 8))
    assert all(H[i, i] > 0 for i in range(8))
    w = H.LUsolve(sp.Matrix([sp.Rational(int(y[i])) for i in order]))
    assert H * w - sp.Matrix([sp.Rational(int(y[i])) for i in order]) == sp.zeros(8, 1)
