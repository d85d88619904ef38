r"""Exact (sympy) derivations behind the A3 closed forms of :mod:`analysis.contrastive.sufficiency`.

Every quantity here is obtained from the *definitions* -- Gaussian densities, the generative model
:math:`X = x_0 + \epsilon_1`, :math:`Z = x_0 + \epsilon_2`, and integrals or expectations -- never
from the closed forms being checked, so that ``proofs_checks/check_contrastive.py`` can compare
the library's floating-point closed forms with exact values:

* :func:`integrate_gaussian`: :math:`\int_{\mathbb R^n} P(v)\,e^{Q(v)}\,dv` for a polynomial P and
  a quadratic Q, by iterated one-dimensional integration (Fubini); returns ``oo`` when an
  iterated integral diverges.
* :func:`gaussian_kl_integral`, :func:`gaussian_chi2_integral`: the KL and :math:`\chi^2`
  divergences of two Gaussians as those integrals.
* :func:`conditional_from_joint_density`: :math:`Z \mid HX` read off the factorisation
  :math:`p(z \mid u) = p(z, u) / p(u)` (precision = minus the Hessian in z, mean = the
  stationary point), with the joint covariance built from the generative model.
* :func:`kl_gap_integral`, :func:`kl_gap_mutual_information`, :func:`chi2_gap_integral`: the
  sufficiency gaps :math:`\mathbb E_X \mathrm{KL}(P_{Z|X}\|P_{Z|HX})` and
  :math:`\mathbb E_X\chi^2(P_{Z|X}\|P_{Z|HX})` as integrals over (x, z), and
  :math:`I(X;Z) - I(HX;Z)` from joint determinants.
* :func:`downstream_risk`: :math:`\mathbb E(y - \beta^\top HX)^2` expanded in independent
  standard normals (only their second moments enter), and its minimum over :math:`\beta`.
* ``*_formula`` functions transcribe closed forms -- the right one and deliberately wrong variants
  (``variant=``) -- so that the checks can show a wrong formula is caught.

Instances use rational :math:`\Sigma_0 = AA^\top`, :math:`\nu`, H, w so that the results are exact.
"""

from __future__ import annotations

import sympy as sp


def _matrix(value) -> sp.Matrix:
    return sp.Matrix(value).applyfunc(sp.nsimplify)


# ------------------------------------------------------------------------------------------
# Gaussian integrals
# ------------------------------------------------------------------------------------------


def integrate_gaussian(poly, exponent, variables) -> sp.Expr:
    r""":math:`\int_{\mathbb R^n} P(v)\, e^{Q(v)}\, dv` by iterated one-dimensional integration.

    For each variable t in turn, :math:`Q = -a t^2 + b t + c` (a, b, c free of t) and

    .. math:: \int P(t)\, e^{-at^2 + bt + c}\,dt = e^{c + b^2/(4a)}
              \sum_{j\ \text{even}} p_j\,\Gamma\!\big(\tfrac{j+1}{2}\big)\,a^{-(j+1)/2},

    where :math:`p_j` are the coefficients of :math:`P(s + b/(2a))` in s (the 1-D Gaussian moments,
    checked against ``sympy.integrate`` in ``proofs_checks``). The integral diverges when
    :math:`a \le 0` for some variable; ``sympy.oo`` is then returned.

    Parameters
    ----------
    poly : sympy expression
        Polynomial in ``variables`` (coefficients may be any expressions free of them).
    exponent : sympy expression
        Quadratic polynomial in ``variables``.
    variables : sequence of sympy symbols
        Integration variables, integrated in this order over the whole real line.
    """
    s = sp.Dummy("s", real=True)
    poly, exponent = sp.expand(poly), sp.expand(exponent)
    for t in variables:
        q = sp.Poly(exponent, t)
        if q.degree() > 2:
            raise ValueError(f"exponent: expected a quadratic in {t}, got degree {q.degree()}")
        a = -q.coeff_monomial(t**2)
        if not (a.is_number and a > 0):
            if a.is_number:
                return sp.oo
            raise ValueError(f"exponent: coefficient of {t}**2 must be a negative number, got {-a}")
        b, c = q.coeff_monomial(t), q.coeff_monomial(1)
        shifted = sp.Poly(sp.expand(poly.subs(t, s + b / (2 * a))), s)
        poly = sp.expand(
            sum(
                coeff * sp.gamma(sp.Rational(j + 1, 2)) / a ** sp.Rational(j + 1, 2)
                for (j,), coeff in shifted.terms()
                if j % 2 == 0
            )
        )
        exponent = sp.expand(c + b**2 / (4 * a))
    return poly * sp.exp(exponent)


def _log_normaliser(cov: sp.Matrix) -> sp.Expr:
    return -sp.log((2 * sp.pi) ** cov.shape[0] * cov.det()) / 2


def _quadratic(v: sp.Matrix, mean: sp.Matrix, cov: sp.Matrix) -> sp.Expr:
    r = v - mean
    return sp.expand(-(r.T * cov.inv() * r)[0, 0] / 2)


def gaussian_kl_integral(mean1, cov1, mean2, cov2) -> sp.Expr:
    r""":math:`\mathrm{KL}(N_1\|N_2) = \int p_1 \log(p_1/p_2)` by direct integration."""
    mean1, cov1, mean2, cov2 = map(_matrix, (mean1, cov1, mean2, cov2))
    v = sp.Matrix(sp.symbols(f"v0:{cov1.shape[0]}", real=True))
    log_ratio = _log_normaliser(cov1) + _quadratic(v, mean1, cov1)
    log_ratio -= _log_normaliser(cov2) + _quadratic(v, mean2, cov2)
    return sp.exp(_log_normaliser(cov1)) * integrate_gaussian(log_ratio, _quadratic(v, mean1, cov1), v)


def gaussian_chi2_integral(mean1, cov1, mean2, cov2) -> sp.Expr:
    r""":math:`\chi^2(N_1\|N_2) = \int p_1^2/p_2 - 1` by direct integration (``oo`` if divergent)."""
    mean1, cov1, mean2, cov2 = map(_matrix, (mean1, cov1, mean2, cov2))
    v = sp.Matrix(sp.symbols(f"v0:{cov1.shape[0]}", real=True))
    const = 2 * _log_normaliser(cov1) - _log_normaliser(cov2)
    integral = integrate_gaussian(1, 2 * _quadratic(v, mean1, cov1) - _quadratic(v, mean2, cov2), v)
    return integral if integral == sp.oo else sp.exp(const) * integral - 1


def gaussian_kl_formula(mean_diff, cov1, cov2, variant: str = "right") -> sp.Expr:
    r"""Textbook Gaussian KL divergence (the per-x term of ``kl_sufficiency_gap_expected``).

    .. math:: \tfrac12\Big[\operatorname{tr}(C_2^{-1}C_1) - d + \log\frac{\det C_2}{\det C_1}
              + \delta^\top C_2^{-1}\delta\Big]

    ``variant``: ``"right"``; ``"no_logdet"`` (log-det term dropped); ``"half_d"`` (``d/2`` in
    place of ``d``) -- deliberately wrong, to show the checks catch them.
    """
    delta, cov1, cov2 = map(_matrix, (mean_diff, cov1, cov2))
    d = cov1.shape[0]
    inv = cov2.inv()
    logdet = sp.log(cov2.det() / cov1.det())
    const = {"right": d, "no_logdet": d, "half_d": sp.Rational(d, 2)}[variant]
    if variant == "no_logdet":
        logdet = 0
    return ((inv * cov1).trace() - const + logdet + (delta.T * inv * delta)[0, 0]) / 2


def gaussian_chi2_formula(mean_diff, cov1, cov2, variant: str = "right") -> sp.Expr:
    r"""The closed form of ``gaussian_chi2``, transcribed for exact evaluation.

    .. math:: \frac{\det C_2^{1/2}}{\det C_1\,\det(2C_1^{-1} - C_2^{-1})^{1/2}}
              e^{\delta^\top (2C_2 - C_1)^{-1}\delta} - 1 .

    ``variant``: ``"right"``; ``"sqrt_det"`` (:math:`\det C_1^{1/2}` in the denominator);
    ``"swapped"`` (:math:`(2C_1 - C_2)^{-1}` in the exponent) -- deliberately wrong.
    """
    delta, cov1, cov2 = map(_matrix, (mean_diff, cov1, cov2))
    det1 = sp.sqrt(cov1.det()) if variant == "sqrt_det" else cov1.det()
    mid = 2 * cov1 - cov2 if variant == "swapped" else 2 * cov2 - cov1
    const = sp.sqrt(cov2.det()) / (det1 * sp.sqrt((2 * cov1.inv() - cov2.inv()).det()))
    return const * sp.exp((delta.T * mid.inv() * delta)[0, 0]) - 1


# ------------------------------------------------------------------------------------------
# The linear-Gaussian view model
# ------------------------------------------------------------------------------------------


def view_covariances(base_cov, aug_var, H) -> dict:
    r"""Covariances of :math:`(Z, HX)` from the generative model, by :math:`A\,\Sigma\,A^\top`.

    :math:`(x_0, \epsilon_1, \epsilon_2) \sim N(0, \operatorname{diag}(\Sigma_0, \nu I, \nu I))`,
    :math:`Z = x_0 + \epsilon_2`, :math:`HX = H x_0 + H\epsilon_1`. Returns ``"joint"`` (of
    (Z, HX)), ``"z"`` and ``"u"`` (the marginals).
    """
    base_cov, H = _matrix(base_cov), _matrix(H)
    nu = sp.nsimplify(aug_var)
    d, k = base_cov.shape[0], H.shape[0]
    eye, zero = sp.eye(d), sp.zeros(d, d)
    latent = sp.diag(base_cov, nu * eye, nu * eye)
    to_z = sp.Matrix.hstack(eye, zero, eye)
    to_u = sp.Matrix.hstack(H, H, sp.zeros(k, d))
    joint_map = sp.Matrix.vstack(to_z, to_u)
    joint = joint_map * latent * joint_map.T
    return {"joint": joint, "z": joint[:d, :d], "u": joint[d:, d:]}


def conditional_from_joint_density(base_cov, aug_var, H) -> tuple[sp.Matrix, sp.Matrix]:
    r"""Regression matrix R (:math:`\mathbb E[Z|X] = RX`) and covariance C of :math:`Z \mid HX`.

    Derived from :math:`\log p(z \mid u) = \log p(z, u) - \log p(u)`, u = Hx: C is the inverse of
    minus its Hessian in z, and the mean is its stationary point, linear in u (no Schur-complement
    formula is used).
    """
    base_cov, H = _matrix(base_cov), _matrix(H)
    d, k = base_cov.shape[0], H.shape[0]
    cov = view_covariances(base_cov, aug_var, H)
    z = sp.Matrix(sp.symbols(f"z0:{d}", real=True))
    u = sp.Matrix(sp.symbols(f"u0:{k}", real=True))
    zero_mean = sp.zeros(d + k, 1)
    log_cond = _quadratic(sp.Matrix.vstack(z, u), zero_mean, cov["joint"]) - _quadratic(
        u, sp.zeros(k, 1), cov["u"]
    )
    precision = -sp.hessian(log_cond, list(z))
    stationary = sp.solve([sp.diff(log_cond, zi) for zi in z], list(z), dict=True)[0]
    mean = sp.Matrix([sp.expand(stationary[zi]) for zi in z])
    in_u = mean.jacobian(list(u))  # E[Z | HX = u] = in_u @ u, so R = in_u @ H
    return sp.simplify(in_u * H), sp.simplify(precision.inv())


def conditional_schur_formula(base_cov, aug_var, H, variant: str = "right"):
    r"""The closed form of ``conditional_given_encoder``, transcribed for exact evaluation.

    .. math:: R = \Sigma_0 H^\top (H\Sigma_x H^\top)^{-1} H,\quad C = \Sigma_x - R\,\Sigma_0 .

    ``variant``: ``"right"``; ``"transposed"`` (:math:`R^\top = H^\top (H\Sigma_xH^\top)^{-1}
    H\Sigma_0` used in both); ``"view_cross_cov"`` (cross-covariance :math:`\Sigma_x` in place of
    :math:`\Sigma_0`, i.e. forgetting that the two augmentations are independent) -- wrong.
    """
    base_cov, H = _matrix(base_cov), _matrix(H)
    view_cov = base_cov + sp.nsimplify(aug_var) * sp.eye(base_cov.shape[0])
    cross = view_cov if variant == "view_cross_cov" else base_cov
    R = cross * H.T * (H * view_cov * H.T).inv() * H
    if variant == "transposed":
        R = R.T
    return R, view_cov - R * cross


def _conditional_log_densities(base_cov, aug_var, H, z, x):
    """(log-normaliser, quadratic exponent) of p(z | x) and p(z | Hx), from the factorisation."""
    d = len(z)
    R_x, C_x = conditional_from_joint_density(base_cov, aug_var, sp.eye(d))
    R_h, C_h = conditional_from_joint_density(base_cov, aug_var, H)
    return (
        (_log_normaliser(C_x), _quadratic(z, R_x * x, C_x)),
        (_log_normaliser(C_h), _quadratic(z, R_h * x, C_h)),
    )


def _gap_integrand_parts(base_cov, aug_var, H):
    """Dimension, view covariance, symbols z and x, and both conditional log-densities of z."""
    base_cov = _matrix(base_cov)
    d = base_cov.shape[0]
    view_cov = base_cov + sp.nsimplify(aug_var) * sp.eye(d)
    z = sp.Matrix(sp.symbols(f"z0:{d}", real=True))
    x = sp.Matrix(sp.symbols(f"x0:{d}", real=True))
    return d, view_cov, z, x, *_conditional_log_densities(base_cov, aug_var, H, z, x)


def kl_gap_integral(base_cov, aug_var, H) -> sp.Expr:
    r"""KL sufficiency gap by exact integration over (x, z) (2d variables).

    .. math:: \mathbb E_X\,\mathrm{KL}(P_{Z|X}\|P_{Z|HX}) = \iint p(x)\,p(z|x)
              \log\frac{p(z|x)}{p(z|Hx)}\,dz\,dx
    """
    d, view_cov, z, x, (nx, qx), (nh, qh) = _gap_integrand_parts(base_cov, aug_var, H)
    log_ratio = nx + qx - nh - qh
    weight_exponent = _quadratic(x, sp.zeros(d, 1), view_cov) + qx
    const = sp.exp(_log_normaliser(view_cov) + nx)
    return const * integrate_gaussian(log_ratio, weight_exponent, list(z) + list(x))


def kl_gap_mutual_information(base_cov, aug_var, H) -> sp.Expr:
    r""":math:`I(X;Z) - I(HX;Z)` from the joint covariances of the generative model.

    .. math:: I(U;Z) = \tfrac12\log\frac{\det\Sigma_U\,\det\Sigma_Z}{\det\Sigma_{(Z,U)}}
    """
    d = _matrix(base_cov).shape[0]

    def mutual_information(encoder):
        cov = view_covariances(base_cov, aug_var, encoder)
        return sp.log(cov["u"].det() * cov["z"].det() / cov["joint"].det()) / 2

    return sp.simplify(mutual_information(sp.eye(d)) - mutual_information(H))


def chi2_gap_integral(base_cov, aug_var, H) -> sp.Expr:
    r""":math:`\chi^2` sufficiency gap by exact integration (``oo`` when the integral diverges).

    .. math:: \mathbb E_X\,\chi^2(P_{Z|X}\|P_{Z|HX}) = \iint p(x)\,\frac{p(z|x)^2}{p(z|Hx)}
              \,dz\,dx - 1
    """
    d, view_cov, z, x, (nx, qx), (nh, qh) = _gap_integrand_parts(base_cov, aug_var, H)
    exponent = _quadratic(x, sp.zeros(d, 1), view_cov) + 2 * qx - qh
    integral = integrate_gaussian(1, exponent, list(z) + list(x))
    if integral == sp.oo:
        return sp.oo
    return sp.exp(_log_normaliser(view_cov) + 2 * nx - nh) * integral - 1


def kl_gap_formula(base_cov, aug_var, H, variant: str = "right") -> sp.Expr:
    r"""The closed form of ``kl_sufficiency_gap``, transcribed for exact evaluation.

    :math:`\tfrac12\log\det C_{Z|HX} - \tfrac12\log\det C_{Z|X}`, with the conditional
    covariances from :func:`conditional_schur_formula` (``variant`` is passed on to it, so
    ``"transposed"`` evaluates the gap with a transposed Schur complement).
    """
    d = _matrix(base_cov).shape[0]
    C_h = conditional_schur_formula(base_cov, aug_var, H, variant)[1]
    C_x = conditional_schur_formula(base_cov, aug_var, sp.eye(d), variant)[1]
    return sp.log(C_h.det() / C_x.det()) / 2


def kl_gap_expected_formula(base_cov, aug_var, H, variant: str = "right") -> sp.Expr:
    r"""The closed form of ``kl_sufficiency_gap_expected``, transcribed for exact evaluation.

    :math:`\tfrac12[\operatorname{tr}(C_h^{-1}C_x) - d + \log\frac{\det C_h}{\det C_x}
    + \operatorname{tr}(C_h^{-1} D\Sigma_x D^\top)]`, :math:`D = R_I - R_H`.

    ``variant``: ``"right"``, ``"no_logdet"``, ``"half_d"`` (see :func:`gaussian_kl_formula`),
    or ``"no_mean_term"`` (the :math:`\operatorname{tr}(C_h^{-1}D\Sigma_xD^\top)` term dropped).
    """
    base_cov = _matrix(base_cov)
    d = base_cov.shape[0]
    view_cov = base_cov + sp.nsimplify(aug_var) * sp.eye(d)
    R_h, C_h = conditional_schur_formula(base_cov, aug_var, H)
    R_x, C_x = conditional_schur_formula(base_cov, aug_var, sp.eye(d))
    D = R_x - R_h
    mean_term = 0 if variant == "no_mean_term" else (C_h.inv() * D * view_cov * D.T).trace()
    per_x = gaussian_kl_formula(
        sp.zeros(d, 1), C_x, C_h, "right" if variant == "no_mean_term" else variant
    )
    return per_x + mean_term / 2


def chi2_gap_formula(base_cov, aug_var, H, variant: str = "right") -> sp.Expr:
    r"""The closed form of ``chi2_sufficiency_gap``, transcribed for exact evaluation.

    :math:`(1 + \chi^2_0)\det(I - 2K)^{-1/2} - 1`, :math:`K = \Sigma_x^{1/2} D^\top
    (2C_h - C_x)^{-1} D\,\Sigma_x^{1/2}`, :math:`\chi^2_0` = the zero-mean-difference term.

    ``variant``: ``"right"``; ``"no_factor_two"`` (:math:`\det(I - K)`); ``"wrong_power"``
    (:math:`\det(I - 2K)^{-1}`) -- deliberately wrong. :math:`\det(I - 2K) =
    \det(I - 2\Sigma_x D^\top (2C_h - C_x)^{-1} D)` avoids the matrix square root.
    """
    base_cov = _matrix(base_cov)
    d = base_cov.shape[0]
    view_cov = base_cov + sp.nsimplify(aug_var) * sp.eye(d)
    R_h, C_h = conditional_schur_formula(base_cov, aug_var, H)
    R_x, C_x = conditional_schur_formula(base_cov, aug_var, sp.eye(d))
    D = R_x - R_h
    base = gaussian_chi2_formula(sp.zeros(d, 1), C_x, C_h) + 1
    factor = 1 if variant == "no_factor_two" else 2
    det = (sp.eye(d) - factor * view_cov * D.T * (2 * C_h - C_x).inv() * D).det()
    power = -1 if variant == "wrong_power" else -sp.Rational(1, 2)
    return base * det**power - 1


# ------------------------------------------------------------------------------------------
# Downstream regression risk
# ------------------------------------------------------------------------------------------


def _expect_second_order(expr, normals) -> sp.Expr:
    """E of a polynomial of degree <= 2 in independent standard normals (E g = 0, E g_i g_j = delta)."""
    poly = sp.Poly(sp.expand(expr), *normals)
    if poly.total_degree() > 2:
        raise ValueError("expr: expected a polynomial of degree <= 2 in the normals")
    total = sp.Integer(0)
    for powers, coeff in poly.terms():
        if all(p in (0, 2) for p in powers):  # constants and squares survive, with E g^2 = 1
            total += coeff
    return sp.expand(total)


def downstream_risk(factor, aug_var, H, w, noise_var, beta) -> sp.Expr:
    r"""Downstream risk :math:`\mathbb E(y - \beta^\top HX)^2` of :math:`y = w^\top x_0 + \xi`.

    Computed by writing :math:`x_0 = A g`, :math:`X = x_0 + \sqrt\nu\,e`, :math:`\xi = \sigma\eta` with
    independent standard normals g, e, :math:`\eta` and taking the expectation term by term.

    ``factor`` is A (so :math:`\Sigma_0 = AA^\top`); ``beta`` a sequence of sympy symbols or numbers.
    """
    A, H, w = _matrix(factor), _matrix(H), _matrix(w)
    beta = sp.Matrix(beta)
    d = A.shape[0]
    g = sp.Matrix(sp.symbols(f"g0:{A.shape[1]}", real=True))
    e = sp.Matrix(sp.symbols(f"e0:{d}", real=True))
    eta = sp.Symbol("eta", real=True)
    x0 = A * g
    X = x0 + sp.sqrt(sp.nsimplify(aug_var)) * e
    y = (w.T * x0)[0, 0] + sp.sqrt(sp.nsimplify(noise_var)) * eta
    residual = y - (beta.T * H * X)[0, 0]
    return _expect_second_order(residual**2, list(g) + list(e) + [eta])


def best_linear_risk_exact(factor, aug_var, H, w, noise_var) -> sp.Expr:
    r""":math:`\min_\beta \mathbb E(y - \beta^\top HX)^2`, exactly.

    :func:`downstream_risk` minimised by solving its (linear) stationarity equations in
    :math:`\beta`.
    """
    k = _matrix(H).shape[0]
    beta = sp.symbols(f"beta0:{k}", real=True)
    risk = downstream_risk(factor, aug_var, H, w, noise_var, beta)
    best = sp.solve([sp.diff(risk, b) for b in beta], beta, dict=True)[0]
    return sp.simplify(risk.subs(best))


def risk_formula(factor, aug_var, H, w, noise_var, beta, variant: str = "right") -> sp.Expr:
    r"""The risk formula used by ``ridge_downstream_risk`` and ``best_linear_risk``.

    :math:`w^\top\Sigma_0w + \sigma^2 - 2\beta^\top c + \beta^\top G\beta`, :math:`c = H\Sigma_0w`,
    :math:`G = H\Sigma_xH^\top`.

    ``variant``: ``"right"``; ``"clean_gram"`` (:math:`G = H\Sigma_0H^\top`, augmentation noise
    forgotten); ``"no_noise"`` (:math:`\sigma^2` dropped) -- deliberately wrong.
    """
    A, H, w = _matrix(factor), _matrix(H), _matrix(w)
    beta = sp.Matrix(beta)
    base_cov = A * A.T
    view_cov = base_cov + sp.nsimplify(aug_var) * sp.eye(A.shape[0])
    c = H * base_cov * w
    G = H * (base_cov if variant == "clean_gram" else view_cov) * H.T
    noise = 0 if variant == "no_noise" else sp.nsimplify(noise_var)
    return sp.expand(
        (w.T * base_cov * w)[0, 0] + noise - 2 * (beta.T * c)[0, 0] + (beta.T * G * beta)[0, 0]
    )
