"""Symbolic checks of the neural-collapse geometry (sympy, general C)."""

import sympy as sp

from analysis.neural_collapse import proofs


def test_centred_orthogonal_frame_is_simplex_etf_for_symbolic_C():
    residuals = proofs.centred_frame_residuals()
    assert all(sp.simplify(r) == 0 for r in residuals.values()), residuals


def test_wrong_centring_is_caught():
    residuals = proofs.centred_frame_residuals(1 / (sp.Symbol("C") + 1))
    assert any(sp.simplify(r) != 0 for r in residuals.values())
    assert proofs.residual_magnitude(residuals) > 1e-3


def test_label_smoothing_identity_for_explicit_k():
    for K in (2, 3, 5):
        assert proofs.label_smoothing_residual(K) == 0


def test_label_smoothing_identity_for_symbolic_k():
    assert proofs.label_smoothing_residual_general_k() == 0


def test_label_smoothing_with_wrong_sign_is_caught():
    assert proofs.label_smoothing_residual(3, wrong_sign=True) != 0
